// A daemon nobody can reach must not run on: when its socket file is deleted, replaced, or its PODSMITH_HOME is
// removed or moved, clients can no longer connect, and a client would start a second daemon. So the daemon
// remembers which file it bound (device, inode and birth time: a socket made right after ours was deleted can
// get the same inode number) and checks that the path still leads to it: at once when something changes in
// run/ or the home (inotify through fs.watch), and every few seconds in case an event was missed (a parent
// directory renamed, a watch that could not be set up).
import { lstatSync, watch, type FSWatcher, type Stats } from 'node:fs';

export interface SocketWatchOptions {
  socket: string;
  /** The socket this daemon bound, as lstat saw it before it was renamed to `socket`. */
  bound: Stats;
  /** Directories whose changes prompt a check (run/ and the home). */
  dirs: string[];
  /** The slow periodic check (default 5 s). */
  intervalMs?: number;
  /** Called once, with why the socket no longer leads to this daemon. */
  onGone(why: string): void;
}

/** Starts watching; returns the function that stops it. */
export function watchSocketPath(o: SocketWatchOptions): () => void {
  const bound = o.bound;
  const watchers: FSWatcher[] = [];
  let pending: NodeJS.Timeout | undefined;
  let done = false;

  const stop = (): void => {
    done = true;
    clearInterval(timer);
    if (pending) clearTimeout(pending);
    for (const w of watchers) w.close();
  };
  const check = (): void => {
    pending = undefined;
    if (done) return;
    let why: string | undefined;
    try {
      if (!sameFile(lstatSync(o.socket), bound)) why = `${o.socket} now leads to another socket`;
    } catch (err) {
      why = `${o.socket} is gone (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
    }
    if (why === undefined) return;
    stop();
    o.onGone(why);
  };
  // A burst of events (rm -rf, log appends in the home) becomes one check.
  const soon = (): void => {
    if (!done && !pending) pending = setTimeout(check, 20);
  };

  for (const dir of o.dirs) {
    try {
      const w = watch(dir, { persistent: false }, soon);
      // The directory itself went away: that is worth a check too, after which the watch is useless.
      w.on('error', () => {
        w.close();
        soon();
      });
      watchers.push(w);
    } catch {
      // Cannot watch (inotify limits): the periodic check still runs.
    }
  }
  const timer = setInterval(check, o.intervalMs ?? 5000);
  timer.unref();
  // The path may have changed before the watches were set.
  soon();
  return stop;
}

/** The same file: device and inode, and birth time where the file system records one. */
export function sameFile(a: Stats, b: Stats): boolean {
  return a.dev === b.dev && a.ino === b.ino && (a.birthtimeMs === 0 || b.birthtimeMs === 0 || a.birthtimeMs === b.birthtimeMs);
}
