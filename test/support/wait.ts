// Waits on events, for tests: a file appearing (fs.watch), a process exiting, a lock someone waits for. Each
// has a deadline, so a wait for something that never comes fails with a message instead of hanging the run.
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, watch } from 'node:fs';
import { basename, dirname } from 'node:path';

/** Resolves once `path` exists: fs.watch on its directory (which must exist), checked again after subscribing. */
export function fileAppears(path: string, timeoutMs = 15_000): Promise<void> {
  return entryAppears(dirname(path), (name) => name === basename(path), timeoutMs).then(() => undefined);
}

/** Resolves with the name of the first entry of `dir` that `match` accepts, as soon as fs.watch reports it. */
export function entryAppears(dir: string, match: (name: string) => boolean = () => true, timeoutMs = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const watcher = watch(dir);
    const look = (): void => {
      const found = readdirSync(dir).find(match);
      if (found !== undefined) done(undefined, found);
    };
    const done = (err?: Error, found?: string): void => {
      clearTimeout(timer);
      watcher.close();
      if (err) reject(err);
      else resolve(found!);
    };
    const timer = setTimeout(() => done(new Error(`timed out waiting for an entry in ${dir}`)), timeoutMs);
    watcher.on('change', look);
    watcher.on('error', (err) => done(err));
    look(); // it may have been there before the watcher started
  });
}

/** Resolves when `child` has exited (at once if it already has), with its code or signal. */
export function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** Kills `child` (SIGKILL) unless it has exited, and waits until it has: for finally blocks and after hooks. */
export async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = exitOf(child);
  child.kill('SIGKILL');
  await exited;
}

/** `promise`, or a rejection naming `what` when it has not settled within `timeoutMs` (a deadline, not a sleep). */
export function within<T>(promise: Promise<T>, what: string, timeoutMs = 15_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs)));
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** How many flock(2) requests are blocked on `path` right now (the `->` lines of /proc/locks for its inode). */
export function blockedLockers(path: string): number {
  const ino = String(statSync(path).ino);
  return readFileSync('/proc/locks', 'utf8')
    .split('\n')
    .filter((line) => {
      const f = line.trim().split(/\s+/);
      return f[1] === '->' && f[2] === 'FLOCK' && f[6]?.split(':')[2] === ino;
    }).length;
}

/**
 * Resolves once someone waits for the flock on `path`. The kernel sends no event for a blocked lock request, so
 * this polls /proc/locks (every 10 ms, bounded): it is how a test knows a second process is really waiting.
 */
export async function someoneWaitsForLock(path: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(path) || blockedLockers(path) === 0) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for a blocked lock on ${path}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Text as it arrives (stream data, io callbacks), with waits that resolve on the very arrival that satisfies them. */
export class TextSink {
  text = '';
  private readonly waiters = new Set<() => void>();

  readonly add = (chunk: string | Buffer): void => {
    this.text += chunk.toString();
    for (const w of [...this.waiters]) w();
  };

  until(what: string, test: (text: string) => boolean, timeoutMs = 15_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!test(this.text)) return;
        finish();
        resolve(this.text);
      };
      const finish = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.text.slice(-500))}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }
}

/** Resolves once `test` holds for the content of `path` ('' while missing), re-read on every fs.watch event of its directory. */
export function fileSatisfies(path: string, what: string, test: (content: string) => boolean, timeoutMs = 15_000): Promise<string> {
  const read = (): string => (existsSync(path) ? readFileSync(path, 'utf8') : '');
  return new Promise((resolve, reject) => {
    const watcher = watch(dirname(path));
    const done = (err?: Error, content?: string): void => {
      clearTimeout(timer);
      watcher.close();
      if (err) reject(err);
      else resolve(content!);
    };
    const look = (): void => {
      const content = read();
      if (test(content)) done(undefined, content);
    };
    const timer = setTimeout(() => done(new Error(`timed out waiting for ${what} in ${path}; it holds ${JSON.stringify(read().slice(-500))}`)), timeoutMs);
    watcher.on('change', look);
    watcher.on('error', (err) => done(err));
    look();
  });
}
