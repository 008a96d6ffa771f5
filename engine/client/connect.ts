// Reaching the daemon: connect to its socket; when nobody listens (no socket file, or a stale one left by a
// daemon that died), start one and wait for its socket, bounded. Two clients starting one at the same moment
// are fine: the second daemon finds the lock taken and exits, and both clients connect to the first.
import { existsSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { podsmithHome } from '../home';
import { socketConnection } from '../protocol/jsonrpc';
import { daemonPaths, type DaemonPaths } from '../daemon/paths';
import { DaemonClient, DaemonError } from './daemon-client';
import type { DaemonCommand } from './start-daemon';
import { unixTransport, type DaemonTransport } from './transport';

const POLL_MS = 25;

export interface ConnectOptions {
  home?: string;
  env?: NodeJS.ProcessEnv;
  /** Start the daemon when none is running (default true). */
  autoStart?: boolean;
  /** How to start it; default `node <podsmith entry> daemon`. */
  daemonCommand?: DaemonCommand;
  /** How long a starting daemon may take to reconcile and listen (default 30 s). */
  startTimeoutMs?: number;
  /** Named in the daemon's log. */
  clientName?: string;
}

export async function connectDaemon(opts: ConnectOptions = {}): Promise<DaemonClient> {
  const env = opts.env ?? process.env;
  const paths = daemonPaths(opts.home ?? podsmithHome(env), env);
  try {
    return await connectOnce(paths, opts, env);
  } catch (err) {
    // A daemon that was dying as we connected (its socket still queued our connection) hangs up during the
    // handshake: by the next attempt it is gone, and a new one is started.
    if (err instanceof HangUp) return connectOnce(paths, opts, env);
    throw err;
  }
}

/** The daemon hung up during the handshake. */
export class HangUp extends DaemonError {}

async function connectOnce(paths: DaemonPaths, opts: ConnectOptions, env: NodeJS.ProcessEnv): Promise<DaemonClient> {
  let socket = await tryConnect(paths);
  if (!socket) {
    if (opts.autoStart === false) {
      throw new DaemonError(`no podsmith daemon is running for ${paths.home}; start one with 'podsmith daemon'`);
    }
    socket = await startAndConnect(paths, opts.daemonCommand, env, opts.startTimeoutMs ?? 30_000);
  }
  try {
    return await openDaemonClient(socket, paths, unixTransport(paths), opts.clientName ?? 'podsmith');
  } catch (err) {
    if (err instanceof HangUp) await new Promise((r) => setTimeout(r, 100));
    throw err;
  }
}

/**
 * A client over an open stream to a daemon (any transport): JSON-RPC on it, then the handshake. A daemon that
 * hangs up during the handshake is a HangUp (it was stopping as we connected).
 */
export async function openDaemonClient(stream: Duplex, paths: DaemonPaths, transport: DaemonTransport, clientName: string): Promise<DaemonClient> {
  const conn = socketConnection(stream);
  conn.listen();
  const client = new DaemonClient(conn, stream, paths, transport);
  let hungUp = false;
  client.onClose(() => (hungUp = true));
  try {
    await client.hello(clientName);
  } catch (err) {
    // The transport stays open: a caller that retries reuses it.
    client.disconnect();
    if (hungUp) throw new HangUp((err as Error).message);
    throw err;
  }
  return client;
}

/**
 * A connected socket, or undefined when no daemon listens. The socket's own path first, then run/podsmith.sock
 * (the socket itself, or a link to it): a daemon started from an environment with another XDG_RUNTIME_DIR.
 */
async function tryConnect(paths: DaemonPaths): Promise<Socket | undefined> {
  return (await tryConnectAt(paths.socket)) ?? (paths.homeSocket !== paths.socket ? tryConnectAt(paths.homeSocket) : undefined);
}

function tryConnectAt(path: string): Promise<Socket | undefined> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      socket.on('error', () => {});
      resolve(socket);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      socket.destroy();
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') resolve(undefined);
      else if (err.code === 'EACCES') reject(new DaemonError(`no permission to use ${path}: the daemon belongs to another user; use your own PODSMITH_HOME`));
      else reject(new DaemonError(`cannot connect to the daemon at ${path}: ${err.message}`));
    });
  });
}

async function startAndConnect(paths: DaemonPaths, command: DaemonCommand | undefined, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Socket> {
  // Loaded only here: with a daemon running (the usual case) a command never loads child_process or the lock code.
  const { defaultDaemonCommand, spawnDaemon } = await import('./start-daemon');
  const { runningDaemonPid } = await import('../daemon/instance-lock');
  const cmd = command ?? defaultDaemonCommand();
  const child = spawnDaemon(paths, cmd, env);
  let exit: { code: number | null; signal: string | null } | undefined;
  let spawnError: Error | undefined;
  child.once('exit', (code, signal) => (exit = { code, signal }));
  child.once('error', (err) => (spawnError = err));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const socket = await tryConnect(paths);
    if (socket) return socket;
    if (spawnError) throw new DaemonError(`cannot start the daemon (${cmd.command}): ${spawnError.message}`);
    // Our daemon gave up; that is fine only when another one holds the lock (it is still starting).
    if (exit && runningDaemonPid(paths) === undefined) {
      throw new DaemonError(
        `the daemon exited during start-up (${exit.signal ?? `exit ${exit.code}`})${logTail(paths)}\nsee ${paths.log}; 'podsmith daemon' runs it in the foreground`,
      );
    }
    if (Date.now() > deadline) {
      throw new DaemonError(`the daemon did not open ${paths.socket} within ${Math.round(timeoutMs / 1000)} s; see ${paths.log}`);
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** The last lines of daemon.log, so the reason a daemon died is right in the error. */
function logTail(paths: DaemonPaths): string {
  if (!existsSync(paths.log)) return '';
  try {
    const lines = readFileSync(paths.log, 'utf8').trimEnd().split('\n').slice(-5);
    return ':\n  ' + lines.join('\n  ');
  } catch {
    return '';
  }
}
