// The engine daemon: takes the single-instance lock, reconciles the runtime with what really runs, then serves
// JSON-RPC and attach connections on run/podsmith.sock (0600 in a 0700 directory). Stopping it closes
// connections and the socket only: pods keep running, and the next daemon picks them up through reconcile().
import { chmodSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { createMessageConnection, SocketMessageReader, SocketMessageWriter } from 'vscode-jsonrpc/node';
import { ATTACH_PREFIX, PROTOCOL_VERSION, type HelloResult } from '../protocol/messages';
import { EventHub } from './event-hub';
import type { DaemonRuntime } from './runtimes';
import { acquireInstanceLock, preparePrivateDirs, runningDaemonPid } from './instance-lock';
import { createDaemonLog, type DaemonLog } from './log';
import { daemonPaths, type DaemonPaths } from './paths';
import { bindConnection } from './rpc-handlers';
import { StreamSessions } from './stream-sessions';

/** sun_path is 108 bytes including the terminating NUL. */
const MAX_SOCKET_PATH = 107;
/** An attach line longer than this is not one. */
const MAX_ATTACH_LINE = 128;

export interface DaemonOptions {
  home: string;
  version: string;
  /** Called once the lock is ours, so a daemon that is refused never touches the runtime's state. */
  createRuntime(home: string): Promise<DaemonRuntime>;
  log?: DaemonLog;
}

export interface RunningDaemon {
  paths: DaemonPaths;
  /** Resolves once the daemon has stopped (stop() or a Shutdown request). */
  closed: Promise<void>;
  stop(): Promise<void>;
}

export type StartResult = { ok: true; daemon: RunningDaemon } | { ok: false; pid?: number; socket: string };

export async function startDaemon(opts: DaemonOptions): Promise<StartResult> {
  const paths = daemonPaths(opts.home);
  if (Buffer.byteLength(paths.socket) > MAX_SOCKET_PATH) {
    throw new Error(`socket path ${paths.socket} is longer than ${MAX_SOCKET_PATH} bytes; set PODSMITH_HOME to a shorter path`);
  }
  preparePrivateDirs(paths);
  const log = opts.log ?? createDaemonLog(paths.log);
  const lock = await acquireInstanceLock(paths);
  if (!lock) return { ok: false, pid: runningDaemonPid(paths), socket: paths.socket };

  let served: DaemonRuntime | undefined;
  try {
    log.info(`daemon ${opts.version} starting (pid ${process.pid}, home ${paths.home})`);
    served = await opts.createRuntime(paths.home);
    const { runtime, runtimeClasses } = served;
    const hub = new EventHub(paths.events, log);
    hub.load();
    const unwatch = runtime.watch((e) => hub.publish(e));
    const started = Date.now();
    await runtime.reconcile();
    log.info(`reconciled with running pods in ${Date.now() - started} ms`);

    const sessions = new StreamSessions(log);
    const sockets = new Set<Socket>();
    let stopping: Promise<void> | undefined;
    let resolveClosed!: () => void;
    const closed = new Promise<void>((r) => (resolveClosed = r));
    const info: HelloResult = {
      protocolVersion: PROTOCOL_VERSION,
      version: opts.version,
      pid: process.pid,
      home: paths.home,
      startedAt: new Date().toISOString(),
      runtimeClasses,
    };

    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        log.info('daemon stopping; pods keep running');
        unwatch();
        sessions.closeAll();
        await new Promise<void>((r) => {
          server.close(() => r());
          // end() lets replies already queued (the Shutdown answer) reach their clients; destroy() bounds it.
          for (const s of sockets) {
            s.end();
            setTimeout(() => s.destroy(), 1000).unref();
          }
        });
        removeSocket(paths.socket);
        await served?.close?.().catch((err: Error) => log.warn(`runtime did not close cleanly: ${err.message}`));
        await lock.release();
        log.info('daemon stopped');
        resolveClosed();
      })();
      return stopping;
    };

    let counter = 0;
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      socket.on('error', () => {});
      const peer = `conn#${++counter}`;
      classify(socket, {
        rpc: () => {
          const conn = createMessageConnection(new SocketMessageReader(socket), new SocketMessageWriter(socket));
          const unbind = bindConnection(conn, { runtime, hub, sessions, log, info, shutdown: () => void stop() }, peer);
          conn.onClose(() => {
            unbind();
            conn.dispose();
          });
          conn.listen();
        },
        attach: (session, rest) => sessions.attach(session, socket, rest),
      });
    });

    // We hold the lock, so a socket file left here belongs to a daemon that died: replace it.
    removeSocket(paths.socket);
    await listen(server, paths.socket);
    return { ok: true, daemon: { paths, closed, stop } };
  } catch (err) {
    log.error(`daemon failed to start: ${(err as Error).message}`);
    await served?.close?.().catch(() => {});
    removeSocket(paths.socket);
    await lock.release();
    throw err;
  }
}

/** Binds with a umask that makes the socket 0600 from its first instant, then chmods as a second guard. */
function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const old = process.umask(0o177);
    server.once('error', reject);
    try {
      server.listen(path, () => {
        server.off('error', reject);
        chmodSync(path, 0o600);
        resolve();
      });
    } finally {
      process.umask(old);
    }
  });
}

function removeSocket(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // not there
  }
}

/**
 * Tells the two kinds of connection apart by their first 16 bytes: an attach line, or a JSON-RPC header.
 * The bytes read to decide go back into the socket for the JSON-RPC reader.
 */
function classify(socket: Socket, on: { rpc(): void; attach(session: string, rest: Buffer): void }): void {
  let buf = Buffer.alloc(0);
  const prefix = Buffer.from(ATTACH_PREFIX);
  const onData = (chunk: Buffer): void => {
    buf = Buffer.concat([buf, chunk]);
    const n = Math.min(buf.length, prefix.length);
    if (!buf.subarray(0, n).equals(prefix.subarray(0, n))) {
      socket.off('data', onData);
      socket.pause();
      socket.unshift(buf);
      on.rpc();
      // pause() above made the stream explicitly paused, which a new 'data' listener does not undo.
      socket.resume();
      return;
    }
    const nl = buf.indexOf(10);
    if (nl < 0) {
      if (buf.length > MAX_ATTACH_LINE) socket.destroy();
      return;
    }
    socket.off('data', onData);
    on.attach(buf.subarray(prefix.length, nl).toString('utf8').trim(), buf.subarray(nl + 1));
  };
  socket.on('data', onData);
}
