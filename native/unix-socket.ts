// Unix-domain sockets of any type (stream, seqpacket) as raw non-blocking fds. Node's net only speaks
// SOCK_STREAM and hides the fd, so SOCK_SEQPACKET (conmon's attach socket) and SCM_RIGHTS (runc's
// --console-socket) need their own socket/bind/listen/accept/connect, declared here once for both.
import { closeSync, openSync, constants as fsConstants, unlinkSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { AGAIN, FdHandle, nonBlocking } from './fd-handle';
import { check, EAGAIN, errnoException, EINPROGRESS, lastErrno, lazyBindings } from './libc';

export type UnixSocketKind = 'stream' | 'seqpacket';

const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_SEQPACKET = 5;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000; // received and created fds must never leak into children Node spawns
const SUN_PATH_MAX = 108;
export const SHUT_RD = 0;
export const SHUT_WR = 1;

const fns = lazyBindings('unix-domain sockets (socket, bind, accept4)', (lib, k) => {
  const sockaddrUn = k.struct({ sun_family: 'uint16_t', sun_path: k.array('char', SUN_PATH_MAX) });
  const addr = k.pointer(sockaddrUn);
  return {
    sockaddrSize: k.sizeof(sockaddrUn),
    socket: lib.func('int socket(int domain, int type, int protocol)') as (d: number, t: number, p: number) => number,
    socketpair: lib.func('int socketpair(int domain, int type, int protocol, int *sv)') as (d: number, t: number, p: number, sv: Int32Array) => number,
    bind: lib.func('bind', 'int', ['int', addr, 'uint32_t']) as (fd: number, a: SockaddrUn, len: number) => number,
    connect: lib.func('connect', 'int', ['int', addr, 'uint32_t']) as (fd: number, a: SockaddrUn, len: number) => number,
    listen: lib.func('int listen(int fd, int backlog)') as (fd: number, backlog: number) => number,
    accept4: lib.func('int accept4(int fd, void *addr, void *addrlen, int flags)') as (fd: number, a: null, l: null, flags: number) => number,
    shutdown: lib.func('int shutdown(int fd, int how)') as (fd: number, how: number) => number,
  };
});

interface SockaddrUn {
  sun_family: number;
  sun_path: string;
}

function typeFlag(kind: UnixSocketKind): number {
  return (kind === 'stream' ? SOCK_STREAM : SOCK_SEQPACKET) | SOCK_NONBLOCK | SOCK_CLOEXEC;
}

/**
 * Runs `use` with an address for `path`. sun_path holds 107 bytes; a longer path (deep temp dirs, conmon's
 * socket dir) is reached through /proc/self/fd/N/NAME of an fd on its directory, the trick conmon itself uses.
 */
function withAddress<T>(path: string, use: (a: SockaddrUn) => T): T {
  if (Buffer.byteLength(path) < SUN_PATH_MAX) return use({ sun_family: AF_UNIX, sun_path: path });
  const dirFd = openSync(dirname(path), fsConstants.O_RDONLY | fsConstants.O_DIRECTORY);
  try {
    const short = `/proc/self/fd/${dirFd}/${basename(path)}`;
    if (Buffer.byteLength(short) >= SUN_PATH_MAX) throw errnoException('bind', 36 /* ENAMETOOLONG */, path);
    return use({ sun_family: AF_UNIX, sun_path: short });
  } finally {
    closeSync(dirFd);
  }
}

function newSocket(kind: UnixSocketKind): number {
  return check('socket', fns().socket(AF_UNIX, typeFlag(kind), 0));
}

/** A listening unix socket bound to `path`; close() also removes the socket file. */
export class UnixListener {
  readonly path: string;
  readonly kind: UnixSocketKind;
  #handle: FdHandle;

  private constructor(path: string, kind: UnixSocketKind, handle: FdHandle) {
    this.path = path;
    this.kind = kind;
    this.#handle = handle;
  }

  /** Binds and listens at `path` (which must not exist yet). */
  static listen(path: string, kind: UnixSocketKind = 'stream', backlog = 16): UnixListener {
    const f = fns();
    const fd = newSocket(kind);
    try {
      withAddress(path, (a) => check('bind', f.bind(fd, a, f.sockaddrSize), path));
      check('listen', f.listen(fd, backlog), path);
      return new UnixListener(path, kind, new FdHandle(fd));
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  /** Waits for the next connection; the accepted socket is non-blocking and close-on-exec. */
  accept(signal?: AbortSignal): Promise<FdHandle> {
    const f = fns();
    return this.#handle.retry(
      'readable',
      () => {
        const fd = f.accept4(this.#handle.fd, null, null, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0 && lastErrno() === 103 /* ECONNABORTED: the peer gave up, wait for the next */) return AGAIN;
        const r = nonBlocking('accept4', fd);
        return r === AGAIN ? AGAIN : new FdHandle(r);
      },
      signal,
    );
  }

  close(): void {
    if (this.#handle.closed) return;
    this.#handle.close();
    try {
      unlinkSync(this.path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
}

/**
 * Connects to the unix socket at `path`. A full listen backlog answers EAGAIN on unix sockets (not
 * EINPROGRESS), and poll does not signal when it drains, so that case is retried on a short timer.
 */
export async function connectUnix(path: string, kind: UnixSocketKind = 'stream', signal?: AbortSignal): Promise<FdHandle> {
  const f = fns();
  const handle = new FdHandle(newSocket(kind));
  try {
    for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
      signal?.throwIfAborted();
      // errno is read inside the callback, before closing the directory fd can overwrite it.
      const errno = withAddress(path, (a) => (f.connect(handle.fd, a, f.sockaddrSize) === 0 ? 0 : lastErrno()));
      if (errno === 0) return handle;
      if (errno === EINPROGRESS) {
        await handle.writable(signal);
        return handle;
      }
      if (errno !== EAGAIN) throw errnoException('connect', errno, path);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  } catch (e) {
    handle.close();
    throw e;
  }
}

/** A connected pair of unix sockets (non-blocking, close-on-exec). */
export function unixSocketPair(kind: UnixSocketKind = 'stream'): [FdHandle, FdHandle] {
  const sv = new Int32Array(2);
  check('socketpair', fns().socketpair(AF_UNIX, typeFlag(kind), 0, sv));
  return [new FdHandle(sv[0]), new FdHandle(sv[1])];
}

/** shutdown(2): SHUT_WR tells the peer "no more data" (EOF) while still reading its answers. */
export function shutdownSocket(handle: FdHandle, how: number = SHUT_WR): void {
  check('shutdown', fns().shutdown(handle.fd, how));
}
