// A typed client over one JSON-RPC connection to the daemon: every request of messages.ts as a method,
// PodErrors rebuilt on this side, pull progress and subscribed events routed to callbacks, and exec/logs
// sessions attached on their own connections.
import type { Duplex, Readable } from 'node:stream';
import { ResponseError, type MessageConnection, type RequestType } from '../protocol/jsonrpc';
import type { DaemonPaths } from '../daemon/paths';
import type { ExecRequest, LogsRequest } from '../pods/runtime';
import { PodError, type DeletePodRequest, type PodEvent, type PodStatus, type RunPodRequest, type StopPodRequest } from '../pods/types';
import {
  DeletePod,
  EventNotification,
  GetPod,
  PodDial,
  PodNetns,
  Hello,
  ListEvents,
  ListPods,
  POD_ERROR,
  PodProgress,
  PROTOCOL_VERSION,
  RunPod,
  Shutdown,
  StartExec,
  StartLogs,
  StopPod,
  Subscribe,
  Unsubscribe,
  type HelloResult,
  type PodErrorData,
  type PodNetnsResult,
  type SubscribeParams,
} from '../protocol/messages';
import { attachSession, dialStream, type AttachedSession } from './attach';
import { unixTransport, type DaemonTransport } from './transport';

/** The daemon could not be reached or failed in a way that is not about a pod. */
export class DaemonError extends Error {
  override name = 'DaemonError';
}

export interface LogStream {
  /** The log bytes; ends when the log ends (or, with follow, when close() is called). */
  stream: Readable;
  /** Resolves when the daemon finished the stream; rejects with its error. */
  done: Promise<void>;
  close(): void;
}

export class DaemonClient {
  private readonly progress = new Map<string, (e: PodEvent) => void>();
  private readonly subscriptions = new Map<string, (e: PodEvent) => void>();
  /** Events that arrived before their subscribe call returned its id. */
  private readonly early = new Map<string, PodEvent[]>();
  private subscribing = 0;
  /** Progress tokens only need to be unique on this connection (the daemon sends progress back on it). */
  private tokens = 0;
  private closed = false;
  /** Rejects every request still waiting when the daemon hangs up (vscode-jsonrpc leaves them pending). */
  private readonly hangup: Promise<never>;
  info?: HelloResult;
  private released = false;

  /**
   * @param stream the JSON-RPC connection's stream (closed with the client)
   * @param paths the daemon's files, on the host it runs on
   * @param transport opens the exec and logs sessions' streams (default: the local unix socket)
   */
  constructor(
    private readonly conn: MessageConnection,
    private readonly stream: Duplex,
    readonly paths: DaemonPaths,
    readonly transport: DaemonTransport = unixTransport(paths),
  ) {
    conn.onNotification(PodProgress, (p) => this.progress.get(p.token)?.(p.event));
    conn.onNotification(EventNotification, (p) => {
      const listener = this.subscriptions.get(p.subscription);
      if (listener) listener(p.event);
      // Kept only while a subscribe call is in flight; stragglers for an ended subscription are dropped.
      else if (this.subscribing > 0) this.early.set(p.subscription, [...(this.early.get(p.subscription) ?? []), p.event]);
    });
    let hungUp!: () => void;
    const gone = new Promise<void>((r) => (hungUp = r));
    conn.onClose(() => {
      this.closed = true;
      hungUp();
    });
    this.hangup = gone.then(() => {
      throw new DaemonError(this.transport.lost?.() ?? `the daemon closed the connection; see ${this.transport.logHint}`);
    });
    this.hangup.catch(() => {});
  }

  /** Handshake; refuses a daemon of another protocol version. */
  async hello(client: string): Promise<HelloResult> {
    const info = await this.request(Hello, { protocolVersion: PROTOCOL_VERSION, client });
    if (info.protocolVersion !== PROTOCOL_VERSION) {
      throw new DaemonError(
        `the running daemon (pid ${info.pid}, podsmith ${info.version}) speaks protocol ${info.protocolVersion}, this podsmith speaks ${PROTOCOL_VERSION}; ` +
          `restart it with 'podsmith daemon stop' (pods keep running)`,
      );
    }
    this.info = info;
    return info;
  }

  async runPod(request: RunPodRequest, onEvent?: (e: PodEvent) => void): Promise<PodStatus> {
    const token = onEvent ? `progress-${++this.tokens}` : undefined;
    if (token && onEvent) this.progress.set(token, onEvent);
    try {
      return await this.request(RunPod, { request, progressToken: token });
    } finally {
      if (token) this.progress.delete(token);
    }
  }

  stopPod(req: StopPodRequest): Promise<PodStatus> {
    return this.request(StopPod, req);
  }
  async deletePod(req: DeletePodRequest): Promise<void> {
    await this.request(DeletePod, req);
  }
  getPod(pod: string): Promise<PodStatus> {
    return this.request(GetPod, { pod });
  }
  listPods(): Promise<PodStatus[]> {
    return this.request(ListPods, {});
  }
  /** The pod's network namespace, pinned by its holder's pid and start time and the namespace inode. */
  podNetns(pod: string): Promise<PodNetnsResult> {
    return this.request(PodNetns, { pod });
  }
  /**
   * A TCP connection to `port` on the pod's loopback made by the daemon's runtime (for pods whose podNetns
   * answer has details.dial: a microVM's). Rejects as the daemon does (a refused port is NOT_RUNNING).
   */
  async dial(pod: string, port: number): Promise<Duplex> {
    const { session } = await this.request(PodDial, { pod, port });
    return dialStream(await attachSession(this.transport, session));
  }
  listEvents(pod?: string): Promise<PodEvent[]> {
    return this.request(ListEvents, { pod });
  }

  /** Delivers matching events as they happen; call the returned function to stop. */
  async subscribe(filter: SubscribeParams, listener: (e: PodEvent) => void): Promise<() => Promise<void>> {
    this.subscribing++;
    let subscription: string;
    try {
      ({ subscription } = await this.request(Subscribe, filter));
    } finally {
      this.subscribing--;
    }
    this.subscriptions.set(subscription, listener);
    for (const e of this.early.get(subscription) ?? []) listener(e);
    this.early.delete(subscription);
    if (this.subscribing === 0) this.early.clear();
    return async () => {
      this.subscriptions.delete(subscription);
      if (!this.closed) await this.request(Unsubscribe, { subscription }).catch(() => {});
    };
  }

  async exec(req: ExecRequest): Promise<AttachedSession> {
    const { session } = await this.request(StartExec, req);
    return attachSession(this.transport, session);
  }

  async logs(req: LogsRequest): Promise<LogStream> {
    const { session } = await this.request(StartLogs, req);
    const s = await attachSession(this.transport, session);
    const done = s.ended.then((end) => {
      if (end.kind === 'error') throw new DaemonError(end.message);
    });
    // Callers that only read the stream need not await done; its failure must not become an unhandled rejection.
    done.catch(() => {});
    return { stream: s.stdout, done, close: () => s.close() };
  }

  async shutdown(): Promise<void> {
    try {
      await this.request(Shutdown, {});
    } catch (err) {
      // Hanging up is how a stopping daemon may answer.
      if (!(err instanceof DaemonError)) throw err;
    }
  }

  /** Set when the daemon hung up (it stopped or crashed). */
  onClose(fn: () => void): void {
    this.conn.onClose(fn);
  }

  close(): void {
    this.disconnect();
    if (this.released) return;
    this.released = true;
    this.transport.close?.();
  }

  /** Closes this connection but leaves the transport open (a failed handshake that its caller may retry). */
  disconnect(): void {
    this.closed = true;
    this.conn.dispose();
    this.stream.destroy();
  }

  private async request<P, R>(type: RequestType<P, R, void>, params: P): Promise<R> {
    if (this.closed) throw new DaemonError(this.transport.lost?.() ?? `the connection to the daemon is closed; see ${this.transport.logHint}`);
    try {
      return await Promise.race([this.conn.sendRequest(type, params), this.hangup]);
    } catch (err) {
      throw fromWire(err, this.transport);
    }
  }
}

function fromWire(err: unknown, transport: DaemonTransport): Error {
  if (err instanceof ResponseError) {
    if (err.code === POD_ERROR && err.data) {
      const data = err.data as PodErrorData;
      return new PodError(err.message, data.code, data.details);
    }
    return new DaemonError(err.message);
  }
  return new DaemonError(transport.lost?.() ?? `lost the connection to the daemon (${(err as Error)?.message ?? String(err)}); see ${transport.logHint}`);
}
