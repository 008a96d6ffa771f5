// Where the daemon keeps its files under PODSMITH_HOME. Shared by the daemon and its clients so both agree.
import { join } from 'node:path';

export interface DaemonPaths {
  home: string;
  /** 0700: holds the socket, lock and pid file. */
  runDir: string;
  /** 0600 unix socket. */
  socket: string;
  /** flock'd by the running daemon for its whole life. */
  lock: string;
  /** The running daemon's pid (informational; the lock is the truth). */
  pidFile: string;
  /** The daemon's own activity log (and its stdout/stderr when started on demand). */
  log: string;
  /** Event history, one JSON PodEvent per line. */
  events: string;
}

export function daemonPaths(home: string): DaemonPaths {
  const runDir = join(home, 'run');
  return {
    home,
    runDir,
    socket: join(runDir, 'podsmith.sock'),
    lock: join(runDir, 'daemon.lock'),
    pidFile: join(runDir, 'daemon.pid'),
    log: join(home, 'daemon.log'),
    events: join(home, 'events.jsonl'),
  };
}
