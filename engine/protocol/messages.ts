// Every message between a Podsmith client (the CLI, later the VS Code extension) and the engine daemon, declared
// once. Control is JSON-RPC 2.0 (vscode-jsonrpc framing) over the daemon's unix socket. Byte streams (exec
// stdin/stdout/stderr, logs) do not travel as JSON-RPC: a client opens a second connection to the same socket
// per stream session and speaks the binary "attach" framing declared at the end of this file, because a plain
// socket gives backpressure for free (a slow terminal pauses a 1 GB log at the source) and skips base64.
import { NotificationType, RequestType } from 'vscode-jsonrpc';
import type { ExecRequest, LogsRequest } from '../pods/runtime';
import type { DeletePodRequest, PodError, PodEvent, PodStatus, RunPodRequest, StopPodRequest } from '../pods/types';

/** Bumped on any incompatible change; a client refuses a daemon that speaks another version. */
export const PROTOCOL_VERSION = 1;

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
export const Hello = new RequestType<HelloParams, HelloResult, void>('podsmith/hello');

/** Stops the daemon (pods keep running); answers before the socket closes. */
export const Shutdown = new RequestType<Record<string, never>, null, void>('podsmith/shutdown');

// ---- Pods ----

export interface RunPodParams {
  request: RunPodRequest;
  /** When set, the daemon sends PodProgress notifications carrying it to this connection while the pod starts. */
  progressToken?: string;
}
export const RunPod = new RequestType<RunPodParams, PodStatus, void>('pods/run');

/** Pull progress and state changes of one `pods/run` call, to its caller only. */
export interface PodProgressParams {
  token: string;
  event: PodEvent;
}
export const PodProgress = new NotificationType<PodProgressParams>('pods/progress');

export const StopPod = new RequestType<StopPodRequest, PodStatus, void>('pods/stop');
export const DeletePod = new RequestType<DeletePodRequest, null, void>('pods/delete');

export interface GetPodParams {
  /** Name or uid. */
  pod: string;
}
export const GetPod = new RequestType<GetPodParams, PodStatus, void>('pods/get');
export const ListPods = new RequestType<Record<string, never>, PodStatus[], void>('pods/list');

export interface PodNetnsResult {
  /** A process in the pod's network namespace (the pause process): `/proc/<pid>/ns/net` names it. */
  pid: number;
}
/** For `port-forward` on the daemon's host: which network namespace the pod's loopback lives in. */
export const PodNetns = new RequestType<GetPodParams, PodNetnsResult, void>('pods/netns');

// ---- Events ----

export interface ListEventsParams {
  /** Only this pod's events (name or uid). */
  pod?: string;
}
/** Recorded events, oldest first; the history survives daemon restarts (pull byte counts are not kept). */
export const ListEvents = new RequestType<ListEventsParams, PodEvent[], void>('events/list');

export interface SubscribeParams {
  pod?: string;
  /** Also deliver per-chunk pull progress (noisy; progress bars want it, event lists do not). */
  progress?: boolean;
}
export interface SubscribeResult {
  subscription: string;
}
export const Subscribe = new RequestType<SubscribeParams, SubscribeResult, void>('events/subscribe');
export const Unsubscribe = new RequestType<SubscribeResult, null, void>('events/unsubscribe');

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
export const StartExec = new RequestType<ExecRequest, SessionResult, void>('exec/start');
/** Opens the log stream (errors such as an unknown pod come back here, before any byte flows). */
export const StartLogs = new RequestType<LogsRequest, SessionResult, void>('logs/start');

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
}
