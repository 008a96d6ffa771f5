// The engine daemon: takes the single-instance lock, reconciles the runtime with what really runs, then serves
// JSON-RPC and attach connections on run/podsmith.sock (0600 in a 0700 directory). Stopping it closes
// connections and the socket only: pods keep running, and the next daemon picks them up through reconcile().
// It stops by itself when its socket path no longer leads to it (socket-watch.ts) and, when asked to, after a
// time with nothing to do (idle-exit.ts).
import { chmodSync, lstatSync, renameSync, unlinkSync, type Stats } from 'node:fs';
import { dirname, join } from 'node:path';
import { createServer, type Server, type Socket } from 'node:net';
import { createMessageConnection, SocketMessageReader, SocketMessageWriter } from 'vscode-jsonrpc/node';
import { ATTACH_PREFIX, PROTOCOL_VERSION, type HelloResult } from '../protocol/messages';
import { EventHub } from './event-hub';
import type { DaemonRuntime } from './runtimes';
import { acquireInstanceLock, preparePrivateDirs, runningDaemonPid } from './instance-lock';
import { createDaemonLog, type DaemonLog } from './log';
import { daemonPaths, type DaemonPaths } from './paths';
import { watchIdle, type IdleWatch } from './idle-exit';
import { guardMessageSizes } from './message-guard';
import { bindConnection } from './rpc-handlers';
import { sameFile, watchSocketPath } from './socket-watch';
import { linkHomeSocket, prepareSocketDir, unlinkHomeSocket } from './socket-link';
import { recordOwnNamespace } from '../rootless/namespace';
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
  /** Stop after this long with no client, no stream session and no pod to supervise (default: never). */
  idleExitMs?: number;
  /** How often to check that the socket path still leads to this daemon, besides file-system events (default 5 s). */
  socketCheckMs?: number;
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
  prepareSocketDir(paths);
  const log = opts.log ?? createDaemonLog(paths.log);
  const lock = await acquireInstanceLock(paths);
  if (!lock) return { ok: false, pid: runningDaemonPid(paths), socket: paths.socket };
  // A rootless daemon: the next one joins this namespace while pods live in it.
  recordOwnNamespace(paths.home);

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

    let unwatchSocket: (() => void) | undefined;
    let idle: IdleWatch | undefined;
    let bound: Stats | undefined;
    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        log.info('daemon stopping; pods keep running');
        unwatch();
        unwatchSocket?.();
        idle?.stop();
        sessions.closeAll();
        await new Promise<void>((r) => {
          server.close(() => r());
          // end() lets replies already queued (the Shutdown answer) reach their clients; destroy() bounds it.
          for (const s of sockets) {
            s.end();
            setTimeout(() => s.destroy(), 1000).unref();
          }
        });
        // Only our own socket: the path may lead to another daemon's by now (its home was removed and remade).
        if (bound && isBound(paths.socket, bound)) removeSocket(paths.socket);
        unlinkHomeSocket(paths);
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
      socket.once('close', () => {
        sockets.delete(socket);
        idle?.touch();
      });
      socket.on('error', () => {});
      const peer = `conn#${++counter}`;
      classify(socket, {
        rpc: () => {
          // Before the JSON-RPC reader: it sees each chunk first and can end the connection before the reader buffers a huge message.
          guardMessageSizes(socket, (why) => {
            log.warn(`${peer}: ${why}; connection closed`);
            socket.destroy();
          });
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

    // We hold the lock, so a socket file left here belongs to a daemon that died: listen() replaces it.
    bound = await listen(server, paths.socket);
    linkHomeSocket(paths);
    unwatchSocket = watchSocketPath({
      socket: paths.socket,
      bound,
      dirs: [...new Set([dirname(paths.socket), paths.runDir, paths.home])],
      intervalMs: opts.socketCheckMs,
      onGone: (why) => {
        log.warn(`${why}: no client can reach this daemon any more, so it stops`);
        void stop();
      },
    });
    if (opts.idleExitMs) {
      const idleMs = opts.idleExitMs;
      idle = watchIdle({
        idleMs,
        runtime,
        openConnections: () => sockets.size + sessions.open,
        onIdle: (ms) => {
          log.info(`no client, session or running pod for ${Math.round(ms / 1000)} s: the daemon started on demand stops`);
          void stop();
        },
      });
    }
    return { ok: true, daemon: { paths, closed, stop } };
  } catch (err) {
    log.error(`daemon failed to start: ${(err as Error).message}`);
    await served?.close?.().catch(() => {});
    removeSocket(paths.socket);
    unlinkHomeSocket(paths);
    await lock.release();
    throw err;
  }
}

/**
 * Binds with a umask that makes the socket 0600 from its first instant (then chmods as a second guard), under a
 * temporary name renamed onto `path`. The rename replaces a stale socket atomically, and it keeps libuv, which
 * unlinks the name it bound when the server closes, from ever unlinking `path`: by then that may be another
 * daemon's socket (this one's home was removed and made again). stop() removes `path` only while it is ours.
 * Returns the bound socket's identity (rename keeps it).
 */
async function listen(server: Server, path: string): Promise<Stats> {
  // No longer than "podsmith.sock" for pids up to 7 digits, so it fits wherever the socket path does.
  const temp = join(dirname(path), `.${process.pid}.s`);
  removeSocket(temp);
  await new Promise<void>((resolve, reject) => {
    const old = process.umask(0o177);
    server.once('error', reject);
    try {
      server.listen(temp, () => {
        server.off('error', reject);
        resolve();
      });
    } finally {
      process.umask(old);
    }
  });
  chmodSync(temp, 0o600);
  // Taken before the socket is visible at `path`: from then on, anyone may replace what is there.
  const bound = lstatSync(temp);
  renameSync(temp, path);
  return bound;
}

function isBound(path: string, bound: Stats): boolean {
  try {
    return sameFile(lstatSync(path), bound);
  } catch {
    return false;
  }
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
