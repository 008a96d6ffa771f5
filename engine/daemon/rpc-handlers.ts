// Binds one client's JSON-RPC connection to the pod runtime, the event hub and the stream sessions. Every
// request's params go through the checker messages.ts declares for it before a handler sees them; a refused
// one is answered InvalidParams with a message naming the field. Errors cross the wire as POD_ERROR with the
// PodError's code and details, so the client rebuilds the same PodError.
import { basename } from 'node:path';
import { ErrorCodes, ResponseError, type MessageConnection, type NotificationType } from 'vscode-jsonrpc';
import { ImageError } from '../image/types';
import type { PodRuntime } from '../pods/runtime';
import { PodError } from '../pods/types';
import {
  DAEMON_ERROR,
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
  RunPod,
  Shutdown,
  StartExec,
  StartLogs,
  StopPod,
  Subscribe,
  Unsubscribe,
  type HelloResult,
  type PodErrorData,
  type CheckedRequest,
} from '../protocol/messages';
import { InvalidParams } from '../protocol/check';
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

  const handlers = new Map<string, (raw: unknown) => Promise<unknown>>();
  const handle = <P, R>(type: CheckedRequest<P, R>, fn: (params: P) => Promise<R> | R): void => {
    handlers.set(type.method, async (raw) => {
      let params: P;
      try {
        // Params left out read as none at all: `{}`.
        params = type.params.parse(raw ?? {}, '');
      } catch (err) {
        if (!(err instanceof InvalidParams)) throw err;
        // Only the field: the refused value may be anything the client sent.
        log.warn(`${peer} ${type.method}: invalid params (${err.field})`);
        throw new ResponseError(ErrorCodes.InvalidParams, err.message);
      }
      try {
        return await fn(params);
      } catch (err) {
        const re = toResponseError(err);
        log.warn(`${peer} ${type.method}: ${forLog(err, re)}`);
        throw re;
      }
    });
  };
  // One entry point for every method, so each sees its params exactly as sent (vscode-jsonrpc would refuse
  // absent params itself, and spread by-position ones into arguments).
  conn.onRequest((method, raw) => {
    const run = handlers.get(method);
    if (!run) {
      log.warn(`${peer}: unknown method ${JSON.stringify(method.slice(0, 64))}`);
      throw new ResponseError(ErrorCodes.MethodNotFound, `unknown method ${JSON.stringify(method.slice(0, 64))}`);
    }
    return run(raw);
  });

  handle(Hello, (p) => {
    log.info(`${peer} hello from ${p.client.slice(0, 80) || 'unknown client'}`);
    return ctx.info;
  });

  handle(Shutdown, () => {
    log.info(`${peer} asked the daemon to stop`);
    // After the reply has been written (vscode-jsonrpc queues writes through setImmediate).
    setTimeout(() => ctx.shutdown(), 50);
    return null;
  });

  handle(RunPod, async (p) => {
    const req = p.request;
    log.info(`${peer} run ${req.fileName ? basename(req.fileName) : '(inline manifest)'}${req.podName ? ` pod ${req.podName}` : ''}`);
    const status = await runtime.runPod(req, (e) => {
      hub.publish(e);
      if (p.progressToken) notify(PodProgress, { token: p.progressToken, event: e });
    });
    log.info(`${peer} pod ${status.name} is ${status.phase}`);
    return status;
  });

  handle(StopPod, async (p) => {
    log.info(`${peer} stop ${p.pod}${p.gracePeriodSeconds !== undefined ? ` (grace ${p.gracePeriodSeconds} s)` : ''}`);
    return runtime.stopPod(p);
  });

  handle(DeletePod, async (p) => {
    log.info(`${peer} delete ${p.pod}${p.force ? ' (force)' : ''}`);
    await runtime.deletePod(p);
    return null;
  });

  handle(GetPod, (p) => runtime.podStatus(p.pod));
  handle(PodNetns, async (p) => {
    if (runtime.podNetns) return runtime.podNetns(p.pod);
    if (!runtime.dial) throw new PodError('this engine cannot forward ports into pods', 'NOT_SUPPORTED');
    // A runtime that only dials (the router answers this itself, per pod).
    const s = await runtime.podStatus(p.pod);
    throw new PodError(`pod ${s.name} has no network namespace on this host; its ports are reached through its runtime`, 'NOT_SUPPORTED', { dial: true });
  });
  handle(PodDial, async (p) => {
    if (!runtime.dial) throw new PodError('this engine cannot dial ports in pods', 'NOT_SUPPORTED');
    const conn = await runtime.dial(p.pod, p.port);
    const label = `${peer} dial ${p.pod}:${p.port}`;
    return { session: sessions.addDial(conn, label) };
  });
  handle(ListPods, () => runtime.listPods());
  handle(ListEvents, (p) => hub.list(p.pod));

  handle(Subscribe, (p) => {
    const id = hub.subscribe({ pod: p.pod, progress: !!p.progress }, (event) => {
      notify(EventNotification, { subscription: id, event });
    });
    subscriptions.add(id);
    return { subscription: id };
  });

  handle(Unsubscribe, (p) => {
    if (subscriptions.delete(p.subscription)) hub.unsubscribe(p.subscription);
    return null;
  });

  handle(StartExec, async (p) => {
    // Only the program name is logged: arguments may carry passwords.
    const label = `${peer} exec ${p.pod}/${p.container ?? '(default)'} ${basename(p.command[0])}`;
    const exec = await runtime.exec(p);
    log.info(`${label} started`);
    return { session: sessions.addExec(exec, label) };
  });

  handle(StartLogs, async (p) => {
    const abort = new AbortController();
    const stream = await runtime.logs(p, abort.signal);
    const label = `${peer} logs ${p.pod}${p.container ? '/' + p.container : ''}${p.follow ? ' (follow)' : ''}`;
    log.info(label);
    return { session: sessions.addLogs(stream, abort, !!p.timestamps, label) };
  });

  return () => {
    for (const id of subscriptions) hub.unsubscribe(id);
    subscriptions.clear();
  };
}

/**
 * What daemon.log says about a failure. The client gets the whole message; the log never gets a linter
 * finding's text, which may quote the manifest (a wrong-typed Secret value, a line around a syntax error):
 * only where the findings are and which rules they break.
 */
export function forLog(err: unknown, re: ResponseError<unknown>): string {
  const findings = err instanceof PodError ? err.details?.findings : undefined;
  if (!findings?.length) return re.message;
  const where = findings.slice(0, 5).map((f) => `line ${f.range.start.line + 1} [${f.rule}]`);
  return `refused: ${findings.length} manifest error${findings.length === 1 ? '' : 's'} at ${where.join(', ')}${findings.length > 5 ? ', ...' : ''}`;
}

export function toResponseError(err: unknown): ResponseError<PodErrorData | undefined> {
  if (err instanceof ResponseError) return err;
  if (err instanceof PodError) return new ResponseError(POD_ERROR, err.message, { code: err.code, details: err.details });
  if (err instanceof ImageError) return new ResponseError(POD_ERROR, err.message, { code: 'IMAGE' });
  const e = err as Error;
  return new ResponseError(DAEMON_ERROR, e?.message ?? String(err), undefined);
}
