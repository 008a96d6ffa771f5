// Cross-process locks on lock files, with flock(2).
//
// Node has no flock, so util-linux `flock` takes the lock on a descriptor we open and pass to it as fd 3. A
// flock belongs to the open file description, not to the process, so the lock stays ours after the helper
// exits, and the kernel drops it when we close the descriptor or our process dies: there is no stale lock to
// detect and no pid to trust (pid files go stale and pids are reused). Every acquisition opens its own
// description, so two holders in one process exclude each other exactly like two processes do.
//
// Lock files may be unlinked (ingest locks are, once the blob is committed); a holder that locked a file which
// was unlinked meanwhile notices the inode changed and retries on the new file.
import { spawn } from 'node:child_process';
import { open, stat, unlink, type FileHandle } from 'node:fs/promises';
import { ImageError } from '../types';
import { lazyBindings } from '../../../native/libc';

export type LockMode = 'shared' | 'exclusive';

export interface HeldLock {
  readonly path: string;
  readonly mode: LockMode;
  release(): Promise<void>;
  /** Removes the lock file while still holding it (so nobody can hold a lock on a name that is gone), then releases. */
  unlinkAndRelease(): Promise<void>;
}

export interface LockOptions {
  /** Give up after this long (ImageError BUSY). Default: wait as long as it takes. */
  timeoutMs?: number;
  /** What is being locked, for the BUSY message. */
  what?: string;
}

/** flock's exit code when the lock is held by someone else (-n) or the wait timed out (-w). */
const CONFLICT_EXIT = 75;

const LOCK_SH = 1;
const LOCK_EX = 2;
const LOCK_NB = 4;

/** flock(2) in process, or undefined when the native binding cannot load (the helper process is used then). */
const nativeFlock = lazyBindings('flock(2)', (lib) => lib.func('int flock(int fd, int operation)') as (fd: number, op: number) => number);

/** Tries the lock without waiting, in process: true when taken. Anything else (contended, an error, no koffi) is left to the flock helper, which tells those apart. */
function tryFlockInProcess(fd: number, mode: LockMode): boolean {
  try {
    return nativeFlock()(fd, (mode === 'shared' ? LOCK_SH : LOCK_EX) | LOCK_NB) === 0;
  } catch {
    return false;
  }
}

function runFlock(fd: number, mode: LockMode, wait: number | 'none' | 'forever'): Promise<boolean> {
  // The common, uncontended case costs one system call instead of starting a process (about 12 ms here).
  if (tryFlockInProcess(fd, mode)) return Promise.resolve(true);
  const args = [mode === 'shared' ? '-s' : '-x', '-E', String(CONFLICT_EXIT)];
  if (wait === 'none') args.push('-n');
  else if (wait !== 'forever') args.push('-w', (wait / 1000).toFixed(3));
  args.push('3');
  return new Promise((resolve, reject) => {
    const child = spawn('flock', args, { stdio: ['ignore', 'ignore', 'pipe', fd] });
    let err = '';
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', (e) => reject(new ImageError(`cannot run flock (util-linux) to lock the image store: ${e.message}`, 'LOCK_FAILED')));
    child.on('close', (code) => {
      if (code === 0) resolve(true);
      else if (code === CONFLICT_EXIT) resolve(false);
      else reject(new ImageError(`flock failed (exit ${code}): ${err.trim()}`, 'LOCK_FAILED'));
    });
  });
}

async function attempt(path: string, mode: LockMode, wait: number | 'none' | 'forever'): Promise<HeldLock | undefined | 'retry'> {
  const handle = await open(path, 'a+', 0o600);
  try {
    if (!(await runFlock(handle.fd, mode, wait))) {
      await handle.close();
      return undefined;
    }
    // The file may have been unlinked (and maybe recreated) between our open and our lock.
    const [mine, current] = await Promise.all([handle.stat(), stat(path).catch(() => undefined)]);
    if (!current || current.ino !== mine.ino || current.dev !== mine.dev) {
      await handle.close();
      return 'retry';
    }
    return makeHeld(path, mode, handle);
  } catch (err) {
    await handle.close().catch(() => {});
    throw err;
  }
}

function makeHeld(path: string, mode: LockMode, handle: FileHandle): HeldLock {
  let done = false;
  const release = async (): Promise<void> => {
    if (done) return;
    done = true;
    await handle.close();
  };
  return {
    path,
    mode,
    release,
    async unlinkAndRelease() {
      if (!done) await unlink(path).catch(() => {});
      await release();
    },
  };
}

/** Waits for the lock (up to `timeoutMs`). */
export async function acquireLock(path: string, mode: LockMode, opts: LockOptions = {}): Promise<HeldLock> {
  const deadline = opts.timeoutMs === undefined ? undefined : Date.now() + opts.timeoutMs;
  for (;;) {
    const left = deadline === undefined ? 'forever' : Math.max(0, deadline - Date.now());
    const r = await attempt(path, mode, left === 0 ? 'none' : left);
    if (r === 'retry') continue;
    if (r) return r;
    throw new ImageError(`${opts.what ?? path} is busy (another podsmith process holds its lock); try again later`, 'BUSY');
  }
}

/** Takes the lock only if nobody holds a conflicting one. */
export async function tryLock(path: string, mode: LockMode): Promise<HeldLock | undefined> {
  for (;;) {
    const r = await attempt(path, mode, 'none');
    if (r !== 'retry') return r;
  }
}

/** Runs `fn` holding the lock. */
export async function withLock<T>(path: string, mode: LockMode, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const lock = await acquireLock(path, mode, opts);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}
