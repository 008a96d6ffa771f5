// An owned, non-blocking file descriptor with readiness waits on Node's own event loop.
//
// Why this design: blocking calls (accept, recvmsg, read on a pty) must never block the event loop. koffi can
// run a C call on a worker thread (`.async`), but errno is per thread and unreliable to read back, a blocked
// worker cannot be cancelled (closing an fd another thread sits in is a reuse race), and koffi's small worker
// pool would be used up by a few idle sockets. Instead every fd here is O_NONBLOCK, every syscall runs
// synchronously on the main thread (errno read right after), and "would block" waits on koffi.node.poll, a
// libuv uv_poll handle on the main loop: no threads, cancellation is uv_poll_stop, and it costs what a net.Socket
// costs.
import { closeSync } from 'node:fs';
import { errnoException, koffi, lazyBindings, lastErrno, wouldBlock } from './libc';

const F_GETFL = 3;
const F_SETFL = 4;
const O_NONBLOCK = 0o4000;

const fns = lazyBindings('non-blocking file descriptors (fcntl)', (lib) => ({
  fcntl: lib.func('int fcntl(int fd, int cmd, ...)') as (fd: number, cmd: number, ...rest: unknown[]) => number,
}));

/** Puts `fd` in non-blocking mode (the flag lives on the open file description, shared by dups). */
export function setNonBlocking(fd: number): void {
  const { fcntl } = fns();
  const flags = fcntl(fd, F_GETFL);
  if (flags < 0) throw errnoException('fcntl', lastErrno());
  if (flags & O_NONBLOCK) return;
  if (fcntl(fd, F_SETFL, 'int', flags | O_NONBLOCK) < 0) throw errnoException('fcntl', lastErrno());
}

export class FdClosedError extends Error {
  readonly code = 'ERR_PODSMITH_FD_CLOSED';
  constructor() {
    super('the file descriptor was closed while waiting on it');
    this.name = 'FdClosedError';
  }
}

/** Returned by a `retry` attempt to say "would block: wait, then call me again". */
export const AGAIN: unique symbol = Symbol('AGAIN');
export type Attempt<T> = () => T | typeof AGAIN;

type Readiness = 'readable' | 'writable';
interface PollEvents {
  readable: boolean;
  writable: boolean;
  disconnect: boolean;
}
// koffi 2.16 calls back with (status, events); its .d.ts says (events) only, so the shape is declared here.
interface PollHandle {
  start(opts: { readable?: boolean; writable?: boolean }, cb: (status: number, ev: PollEvents) => void): void;
  stop(): void;
  close(): void;
}
interface Waiter {
  want: Readiness;
  resolve(): void;
  reject(e: unknown): void;
}

export class FdHandle {
  #fd: number;
  #closed = false;
  #poll: PollHandle | undefined;
  #waiters = new Set<Waiter>();

  /** Takes ownership of `fd` (close() closes it) and makes it non-blocking. */
  constructor(fd: number) {
    if (!Number.isInteger(fd) || fd < 0) throw new TypeError(`not a file descriptor: ${fd}`);
    setNonBlocking(fd);
    this.#fd = fd;
  }

  get fd(): number {
    if (this.#closed) throw new FdClosedError();
    return this.#fd;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Resolves once the fd is readable, or at hang-up/error (the next syscall then reports what happened). */
  readable(signal?: AbortSignal): Promise<void> {
    return this.#wait('readable', signal);
  }

  writable(signal?: AbortSignal): Promise<void> {
    return this.#wait('writable', signal);
  }

  /** Runs a non-blocking `attempt` until it stops answering AGAIN, waiting for `want` in between. */
  async retry<T>(want: Readiness, attempt: Attempt<T>, signal?: AbortSignal): Promise<T> {
    for (;;) {
      signal?.throwIfAborted();
      const r = attempt();
      if (r !== AGAIN) return r;
      await this.#wait(want, signal);
    }
  }

  /** Stops polling, fails pending waits with FdClosedError and closes the fd. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    // uv_poll_stop runs synchronously inside close(), so the fd leaves epoll before it is closed and reused.
    this.#poll?.close();
    this.#poll = undefined;
    closeSync(this.#fd);
    for (const w of waiters) w.reject(new FdClosedError());
  }

  /** Gives up ownership without closing: returns the fd, which the caller must close. */
  release(): number {
    if (this.#closed) throw new FdClosedError();
    this.#closed = true;
    this.#poll?.close();
    this.#poll = undefined;
    for (const w of this.#waiters) w.reject(new FdClosedError());
    this.#waiters.clear();
    return this.#fd;
  }

  #wait(want: Readiness, signal?: AbortSignal): Promise<void> {
    if (this.#closed) return Promise.reject(new FdClosedError());
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.#waiters.delete(waiter);
        this.#updateInterest();
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        want,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.add(waiter);
      this.#updateInterest();
    });
  }

  // uv_poll is level-triggered, so it only runs while someone waits; otherwise a readable fd would spin.
  #updateInterest(): void {
    if (this.#closed) return;
    let readable = false;
    let writable = false;
    for (const w of this.#waiters) {
      if (w.want === 'readable') readable = true;
      else writable = true;
    }
    if (!readable && !writable) {
      this.#poll?.stop();
      return;
    }
    const onEvent = (status: number, ev: PollEvents) => this.#onEvent(status, ev);
    if (!this.#poll) this.#poll = koffi().node.poll(this.#fd, { readable, writable }, onEvent as never) as unknown as PollHandle;
    else this.#poll.start({ readable, writable }, onEvent);
  }

  #onEvent(status: number, ev: PollEvents): void {
    const ready: Waiter[] = [];
    for (const w of this.#waiters) {
      // libuv folds EPOLLHUP/EPOLLERR into the requested events, so a hang-up wakes readers and writers.
      if (status < 0 || (w.want === 'readable' ? ev.readable || ev.disconnect : ev.writable)) ready.push(w);
    }
    for (const w of ready) this.#waiters.delete(w);
    this.#updateInterest();
    for (const w of ready) {
      if (status < 0) w.reject(errnoException('poll', -status));
      else w.resolve();
    }
  }
}

/** Wraps a C call result: AGAIN when the call would block, the result when it succeeded, throws otherwise. */
export function nonBlocking(syscall: string, result: number): number | typeof AGAIN {
  if (result >= 0) return result;
  const errno = lastErrno();
  if (wouldBlock(errno)) return AGAIN;
  throw errnoException(syscall, errno);
}
