// Where the daemon keeps its files under PODSMITH_HOME. Shared by the daemon and its clients so both agree.
// resolveDaemonPaths() is the one place that says where a user's daemon is (the CLI, the editor and remote
// hosts over SSH all ask it): root keeps the socket in the home's run/; any other user's socket is under
// $XDG_RUNTIME_DIR/podsmith/ when that is set (short, on tmpfs, gone at logout), with a link to it in run/ so
// a client whose environment lacks XDG_RUNTIME_DIR still finds it.
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { podsmithHome, userDefaultHome } from '../home';
import { identity } from '../rootless/identity';

export interface DaemonPaths {
  home: string;
  /** 0700: holds the lock and pid file (and the socket, or a link to it). */
  runDir: string;
  /** 0600 unix socket. */
  socket: string;
  /** `run/podsmith.sock`: a link to the socket when the socket lives elsewhere ($XDG_RUNTIME_DIR); else the socket itself. */
  homeSocket: string;
  /** flock'd by the running daemon for its whole life. */
  lock: string;
  /** The running daemon's pid (informational; the lock is the truth). */
  pidFile: string;
  /** The daemon's own activity log (and its stdout/stderr when started on demand). */
  log: string;
  /** Event history, one JSON PodEvent per line. */
  events: string;
}

export function daemonPaths(home: string, env: NodeJS.ProcessEnv = process.env): DaemonPaths {
  const runDir = join(home, 'run');
  const homeSocket = join(runDir, 'podsmith.sock');
  const socketDir = userSocketDir(home, env);
  return {
    home,
    runDir,
    socket: socketDir ? join(socketDir, 'podsmith.sock') : homeSocket,
    homeSocket,
    lock: join(runDir, 'daemon.lock'),
    pidFile: join(runDir, 'daemon.pid'),
    log: join(home, 'daemon.log'),
    events: join(home, 'events.jsonl'),
  };
}

/** The daemon of this environment: PODSMITH_HOME (or the user's default home) and where its socket is. */
export function resolveDaemonPaths(env: NodeJS.ProcessEnv = process.env): DaemonPaths {
  return daemonPaths(podsmithHome(env), env);
}

/**
 * `$XDG_RUNTIME_DIR/podsmith` for the user's default home, `$XDG_RUNTIME_DIR/podsmith/<tag>` for any other
 * (one daemon per home); undefined for root, or when XDG_RUNTIME_DIR is unset or not the user's own directory.
 */
export function userSocketDir(home: string, env: NodeJS.ProcessEnv = process.env, who = { hostRoot: identity().hostRoot, uid: process.getuid?.() }): string | undefined {
  if (who.hostRoot) return undefined;
  const xdg = env.XDG_RUNTIME_DIR;
  if (!xdg || !isAbsolute(xdg)) return undefined;
  try {
    const st = statSync(xdg);
    // Inside the user's namespace the user is uid 0, and so is what they own.
    if (!st.isDirectory() || st.uid !== who.uid) return undefined;
  } catch {
    return undefined;
  }
  const base = join(xdg, 'podsmith');
  const defaultHome = userDefaultHome(env);
  if (resolve(home) === resolve(defaultHome)) return base;
  return join(base, createHash('sha256').update(resolve(home)).digest('hex').slice(0, 12));
}
