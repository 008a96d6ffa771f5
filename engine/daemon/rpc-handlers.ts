// Binds one client's JSON-RPC connection to the pod runtime, the event hub and the stream sessions. Errors
// cross the wire as POD_ERROR with the PodError's code and details, so the client rebuilds the same PodError.
import { basename } from 'node:path';
import { ErrorCodes, ResponseError, type MessageConnection, type NotificationType, type RequestType } from 'vscode-jsonrpc';
import { ImageError } from '../image/types';
import type { PodRuntime } from '../pods/runtime';
import { PodError } from '../pods/types';
import {
  DAEMON_ERROR,
  DeletePod,
  EventNotification,
  GetPod,
  PodNetns,
  Hello,
  ListEvents,
  ListPods,
  POD_ERROR,
  PodProgress,
  RunPod,
  Shutdown,
  StartExec,
  StartLogs,
  StopPod,
  Subscribe,
  Unsubscribe,
  type HelloResult,
  type PodErrorData,
} from '../protocol/messages';
import type { EventHub } from './event-hub';
import type { DaemonLog } from './log';
import type { StreamSessions } from './stream-sessions';

export interface DaemonContext {
  runtime: PodRuntime;
  hub: EventHub;
  sessions: StreamSessions;
  log: DaemonLog;
  info: HelloResult;
  /** Asks the daemon to stop (after the current reply is sent). */
  shutdown(): void;
}

/** Wires every request of messages.ts; returns what to undo when the connection closes. */
export function bindConnection(conn: MessageConnection, ctx: DaemonContext, peer: string): () => void {
  const { runtime, hub, sessions, log } = ctx;
  const subscriptions = new Set<string>();
  // vscode-jsonrpc throws synchronously once the connection is disposed; a gone client must not break the
  // runtime callback or event fan-out that is notifying it.
  const notify = <P>(type: NotificationType<P>, params: P): void => {
    try {
      conn.sendNotification(type, params).catch(() => {});
    } catch {
      // the client went away
    }
  };

  const handle = <P, R>(type: RequestType<P, R, void>, fn: (params: P) => Promise<R> | R): void => {
    conn.onRequest(type, async (params: P) => {
      try {
        return await fn(params);
      } catch (err) {
        const re = toResponseError(err);
        log.warn(`${peer} ${type.method}: ${re.message}`);
        throw re;
      }
    });
  };

  handle(Hello, (p) => {
    log.info(`${peer} hello from ${String(p?.client ?? 'unknown client').slice(0, 80)}`);
    return ctx.info;
  });

  handle(Shutdown, () => {
    log.info(`${peer} asked the daemon to stop`);
    // After the reply has been written (vscode-jsonrpc queues writes through setImmediate).
    setTimeout(() => ctx.shutdown(), 50);
    return null;
  });

  handle(RunPod, async (p) => {
    const req = p?.request;
    if (!req || typeof req.manifest !== 'string') throw invalidParams('pods/run needs request.manifest (the manifest text)');
    log.info(`${peer} run ${req.fileName ? basename(req.fileName) : '(inline manifest)'}${req.podName ? ` pod ${req.podName}` : ''}`);
    const status = await runtime.runPod(req, (e) => {
      hub.publish(e);
      if (p.progressToken) notify(PodProgress, { token: p.progressToken, event: e });
    });
    log.info(`${peer} pod ${status.name} is ${status.phase}`);
    return status;
  });

  handle(StopPod, async (p) => {
    const pod = needPod(p);
    log.info(`${peer} stop ${pod}${p.gracePeriodSeconds !== undefined ? ` (grace ${p.gracePeriodSeconds} s)` : ''}`);
    return runtime.stopPod(p);
  });

  handle(DeletePod, async (p) => {
    const pod = needPod(p);
    log.info(`${peer} delete ${pod}${p.force ? ' (force)' : ''}`);
    await runtime.deletePod(p);
    return null;
  });

  handle(GetPod, (p) => runtime.podStatus(needPod(p)));
  handle(PodNetns, async (p) => {
    if (!runtime.podNetns) throw new PodError('this engine cannot forward ports into pods', 'NOT_SUPPORTED');
    return { pid: await runtime.podNetns(needPod(p)) };
  });
  handle(ListPods, () => runtime.listPods());
  handle(ListEvents, (p) => hub.list(typeof p?.pod === 'string' ? p.pod : undefined));

  handle(Subscribe, (p) => {
    const id = hub.subscribe({ pod: typeof p?.pod === 'string' ? p.pod : undefined, progress: !!p?.progress }, (event) => {
      notify(EventNotification, { subscription: id, event });
    });
    subscriptions.add(id);
    return { subscription: id };
  });

  handle(Unsubscribe, (p) => {
    if (p && subscriptions.delete(p.subscription)) hub.unsubscribe(p.subscription);
    return null;
  });

  handle(StartExec, async (p) => {
    const pod = needPod(p);
    if (!Array.isArray(p.command) || p.command.length === 0 || !p.command.every((a) => typeof a === 'string')) {
      throw invalidParams('exec/start needs a non-empty command array of strings');
    }
    // Only the program name is logged: arguments may carry passwords.
    const label = `${peer} exec ${pod}/${p.container ?? '(default)'} ${basename(p.command[0])}`;
    const exec = await runtime.exec({ ...p, tty: !!p.tty, stdin: !!p.stdin });
    log.info(`${label} started`);
    return { session: sessions.addExec(exec, label) };
  });

  handle(StartLogs, async (p) => {
    const pod = needPod(p);
    const abort = new AbortController();
    const stream = await runtime.logs(p, abort.signal);
    const label = `${peer} logs ${pod}${p.container ? '/' + p.container : ''}${p.follow ? ' (follow)' : ''}`;
    log.info(label);
    return { session: sessions.addLogs(stream, abort, !!p.timestamps, label) };
  });

  return () => {
    for (const id of subscriptions) hub.unsubscribe(id);
    subscriptions.clear();
  };
}

function needPod(p: { pod?: unknown } | undefined): string {
  if (!p || typeof p.pod !== 'string' || p.pod === '') throw invalidParams('the request needs a pod name');
  return p.pod;
}

function invalidParams(message: string): ResponseError<void> {
  return new ResponseError(ErrorCodes.InvalidParams, message);
}

export function toResponseError(err: unknown): ResponseError<PodErrorData | undefined> {
  if (err instanceof ResponseError) return err;
  if (err instanceof PodError) return new ResponseError(POD_ERROR, err.message, { code: err.code, details: err.details });
  if (err instanceof ImageError) return new ResponseError(POD_ERROR, err.message, { code: 'IMAGE' });
  const e = err as Error;
  return new ResponseError(DAEMON_ERROR, e?.message ?? String(err), undefined);
}
