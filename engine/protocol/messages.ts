// Every message between a Podsmith client (the CLI, later the VS Code extension) and the engine daemon, declared
// once. Control is JSON-RPC 2.0 (vscode-jsonrpc framing) over the daemon's unix socket. Byte streams (exec
// stdin/stdout/stderr, logs) do not travel as JSON-RPC: a client opens a second connection to the same socket
// per stream session and speaks the binary "attach" framing declared at the end of this file, because a plain
// socket gives backpressure for free (a slow terminal pauses a 1 GB log at the source) and skips base64.
//
// Each request carries the checker of its params (check.ts), typed by the params interface: the daemon runs it
// on every request before acting, so a wrong type or size is refused with a message naming the field.
import { NotificationType, RequestType } from './jsonrpc';
import { LIMITS, MiB } from '../limits/table';
import type { ExecRequest, LogsRequest, PodNetnsRef } from '../pods/runtime';
import type { DeletePodRequest, PodError, PodEvent, PodStatus, RunPodRequest, StopPodRequest } from '../pods/types';
import { array, boolean, integer, object, oneOf, optional, string, withDefault, type Check } from './check';

/** Bumped on any incompatible change; a client refuses a daemon that speaks another version. */
export const PROTOCOL_VERSION = 1;

/** A request type that also knows how to check its params. */
export interface CheckedRequest<P, R> extends RequestType<P, R, void> {
  readonly params: Check<P>;
}

function request<P, R>(method: string, params: Check<P>): CheckedRequest<P, R> {
  return Object.assign(new RequestType<P, R, void>(method), { params });
}

// Field checkers several messages share.
const podRef = string({ maxBytes: LIMITS.podNameLength, nonEmpty: true });
const containerName = string({ maxBytes: LIMITS.containerNameLength, nonEmpty: true });
const token = string({ maxBytes: 128, nonEmpty: true });
const fileName = string({ maxBytes: 4096 });
const manifestText = string({ maxBytes: LIMITS.manifestBytes, nul: true });
const INT32_MAX = 2 ** 31 - 1;
const noParams = object<NoParams>({});

/** Params of a request that takes none (`{}`, or none at all). */
export type NoParams = Record<string, never>;

// ---- Handshake and daemon control ----

export interface HelloParams {
  protocolVersion: number;
  /** Who is calling ("podsmith-cli 0.1.0"), for the daemon's log. */
  client: string;
}
export interface HelloResult {
  protocolVersion: number;
  /** Podsmith version of the daemon. */
  version: string;
  pid: number;
  home: string;
  startedAt: string;
  /** Runtime classes the daemon serves. */
  runtimeClasses: string[];
}
// Unknown fields are ignored here only: a newer client must still learn which version this daemon speaks.
export const Hello = request<HelloParams, HelloResult>(
  'podsmith/hello',
  object<HelloParams>({ protocolVersion: integer(0, INT32_MAX), client: string({ maxBytes: 256 }) }, { extraFields: 'ignore' }),
);

/** Stops the daemon (pods keep running); answers before the socket closes. */
export const Shutdown = request<NoParams, null>('podsmith/shutdown', noParams);

// ---- Pods ----

export interface RunPodParams {
  request: RunPodRequest;
  /** When set, the daemon sends PodProgress notifications carrying it to this connection while the pod starts. */
  progressToken?: string;
}
export const RunPod = request<RunPodParams, PodStatus>(
  'pods/run',
  object<RunPodParams>({
    request: object<RunPodRequest>({
      manifest: manifestText,
      fileName: optional(fileName),
      extraManifests: optional(array(object<{ fileName: string; text: string }>({ fileName, text: manifestText }), { max: 1024, maxTotalBytes: 16 * MiB })),
      podName: optional(podRef),
      ociRuntime: optional(oneOf('auto', 'runc', 'crun', 'youki')),
    }),
    progressToken: optional(token),
  }),
);

/** Pull progress and state changes of one `pods/run` call, to its caller only. */
export interface PodProgressParams {
  token: string;
  event: PodEvent;
}
export const PodProgress = new NotificationType<PodProgressParams>('pods/progress');

export const StopPod = request<StopPodRequest, PodStatus>(
  'pods/stop',
  object<StopPodRequest>({ pod: podRef, gracePeriodSeconds: optional(integer(0, LIMITS.terminationGracePeriodSeconds)) }),
);
export const DeletePod = request<DeletePodRequest, null>('pods/delete', object<DeletePodRequest>({ pod: podRef, force: optional(boolean()) }));

export interface GetPodParams {
  /** Name or uid. */
  pod: string;
}
const getPodParams = object<GetPodParams>({ pod: podRef });
export const GetPod = request<GetPodParams, PodStatus>('pods/get', getPodParams);
export const ListPods = request<NoParams, PodStatus[]>('pods/list', noParams);

/**
 * A process in the pod's network namespace (the pause process: `/proc/<pid>/ns/net`), its start time and the
 * namespace's inode, as the daemon saw them: the client enters the namespace only while both still hold, so a
 * pid reused since never sends a connection into another process's network namespace.
 */
export type PodNetnsResult = PodNetnsRef;
/** For `port-forward` on the daemon's host: which network namespace the pod's loopback lives in. */
export const PodNetns = request<GetPodParams, PodNetnsResult>('pods/netns', getPodParams);

// ---- Events ----

export interface ListEventsParams {
  /** Only this pod's events (name or uid). */
  pod?: string;
}
/** Recorded events, oldest first; the history survives daemon restarts (pull byte counts are not kept). */
export const ListEvents = request<ListEventsParams, PodEvent[]>('events/list', object<ListEventsParams>({ pod: optional(podRef) }));

export interface SubscribeParams {
  pod?: string;
  /** Also deliver per-chunk pull progress (noisy; progress bars want it, event lists do not). */
  progress?: boolean;
}
export interface SubscribeResult {
  subscription: string;
}
export const Subscribe = request<SubscribeParams, SubscribeResult>(
  'events/subscribe',
  object<SubscribeParams>({ pod: optional(podRef), progress: optional(boolean()) }),
);
export const Unsubscribe = request<SubscribeResult, null>('events/unsubscribe', object<SubscribeResult>({ subscription: token }));

export interface EventParams {
  subscription: string;
  event: PodEvent;
}
/** Daemon to subscriber: one event, as it happens. */
export const EventNotification = new NotificationType<EventParams>('events/event');

// ---- Stream sessions (exec, logs) ----

export interface SessionResult {
  /** Attach to it with `ATTACH_PREFIX + session + "\n"` on a new connection, within ATTACH_TIMEOUT_MS. */
  session: string;
}
/** Starts the command; its streams wait (paused) for the attach connection. */
export const StartExec = request<ExecRequest, SessionResult>(
  'exec/start',
  object<ExecRequest>({
    pod: podRef,
    container: optional(containerName),
    // Linux's own bounds on one argument (128 KiB) and, roughly, on a whole command line.
    command: array(string({ maxBytes: 128 * 1024 }), { min: 1, max: 4096, maxTotalBytes: 1 * MiB }),
    tty: withDefault(boolean(), false),
    stdin: withDefault(boolean(), false),
    size: optional(object<{ columns: number; rows: number }>({ columns: integer(1, 0xffff), rows: integer(1, 0xffff) })),
  }),
);
/** Opens the log stream (errors such as an unknown pod come back here, before any byte flows). */
export const StartLogs = request<LogsRequest, SessionResult>(
  'logs/start',
  object<LogsRequest>({
    pod: podRef,
    container: optional(containerName),
    follow: optional(boolean()),
    tail: optional(integer(0, INT32_MAX)),
    sinceSeconds: optional(integer(0, INT32_MAX)),
    timestamps: optional(boolean()),
    previous: optional(boolean()),
  }),
);

export interface PodDialParams {
  pod: string;
  port: number;
}
/**
 * A TCP connection to `port` on the pod's loopback, made by the pod's runtime: for pods with no network
 * namespace on the daemon's host (pods/netns refuses them with details.dial), a microVM's. Answers once
 * connected (a refused port is a NOT_RUNNING error here); the attach connection then carries the bytes: Stdin
 * and StdinEnd to the pod, Stdout and StdoutEnd back, End when both sides are done, Error on a reset.
 */
export const PodDial = request<PodDialParams, SessionResult>('pods/dial', object<PodDialParams>({ pod: podRef, port: integer(1, 65535) }));

/** Every request, for the daemon (one handler each) and the tests. */
export const REQUESTS = [Hello, Shutdown, RunPod, StopPod, DeletePod, GetPod, ListPods, PodNetns, ListEvents, Subscribe, Unsubscribe, StartExec, StartLogs, PodDial] as const;

/** Largest JSON-RPC message (headers aside) the daemon reads; a bigger one ends its connection unread. */
export const MAX_MESSAGE = 64 * MiB;
/** Largest header block of one JSON-RPC message. */
export const MAX_MESSAGE_HEADERS = 4096;

// ---- Errors ----

/** JSON-RPC error code for a PodError; `data` carries its code and details so the client can rebuild it. */
export const POD_ERROR = 1000;
/** JSON-RPC error code for a request the daemon could not parse or serve (a bug, not the user's input). */
export const DAEMON_ERROR = 1001;
export interface PodErrorData {
  code: PodError['code'];
  details?: PodError['details'];
}

// ---- Attach framing (second connection per stream session) ----

/** First bytes of an attach connection; as long as "Content-Length: " so 16 bytes tell the two apart. */
export const ATTACH_PREFIX = 'PODSMITH-ATTACH ';
/** A session nobody attaches to within this time is torn down. */
export const ATTACH_TIMEOUT_MS = 30_000;
/** Largest frame payload either side sends or accepts. */
export const MAX_FRAME = 1 << 20;

/**
 * After the attach line, both directions carry frames: 1 byte type, 4 bytes big-endian payload length,
 * payload. The daemon ends the connection after Exit, End or Error; the client closing it cancels the session
 * (stops a log follow; ends an exec's stdin and drops its output).
 */
export enum Frame {
  /** client → daemon: bytes for the command's stdin. */
  Stdin = 1,
  /** client → daemon: stdin reached end of file. */
  StdinEnd = 2,
  /** client → daemon: terminal size, 2 bytes columns + 2 bytes rows (big-endian). */
  Resize = 3,
  /** daemon → client: stdout bytes (log bytes for a logs session). */
  Stdout = 4,
  /** daemon → client: stderr bytes. */
  Stderr = 5,
  /** daemon → client: the exec'd command's exit code, 4 bytes signed big-endian; last frame. */
  Exit = 6,
  /** daemon → client: UTF-8 message; the session failed; last frame. */
  Error = 7,
  /** daemon → client: a logs session finished normally; last frame. */
  End = 8,
  /** daemon → client: no more Stdout bytes (a dial session: the pod's side half-closed); End or Error follows. */
  StdoutEnd = 9,
}

/** The highest frame type, for decoders. */
export const LAST_FRAME = Frame.StdoutEnd;

/** Session ids are UUIDs: an attach line naming anything else is refused at once. */
export const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Why a frame from a client (on an exec session) is not one it may send; undefined when it is fine. */
export function clientFrameProblem(type: Frame, payload: Buffer): string | undefined {
  switch (type) {
    case Frame.Stdin:
      return undefined;
    case Frame.StdinEnd:
      return payload.length === 0 ? undefined : `a StdinEnd frame carries nothing, got ${payload.length} bytes`;
    case Frame.Resize: {
      if (payload.length !== 4) return `a Resize frame carries 4 bytes (columns, rows), got ${payload.length}`;
      const columns = payload.readUInt16BE(0);
      const rows = payload.readUInt16BE(2);
      return columns >= 1 && rows >= 1 ? undefined : `a Resize frame needs columns and rows of 1..65535, got ${columns}x${rows}`;
    }
    default:
      return `a client may not send ${Frame[type] ?? `type ${type}`} frames`;
  }
}
