// File descriptors passed over unix sockets (SCM_RIGHTS). Node's net can neither send nor receive ancillary
// data, yet `runc create/exec --console-socket PATH` hands the container's pty master over exactly that way.
// sendmsg/recvmsg are declared with koffi structs (msghdr, iovec, cmsghdr) so layout and padding follow the
// platform ABI; payload and control buffers are Node Buffers, which koffi passes by address without copying.
import { closeSync } from 'node:fs';
import { FdHandle, nonBlocking } from './fd-handle';
import { koffi, lazyBindings } from './libc';
import { UnixListener } from './unix-socket';

const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;
const MSG_CTRUNC = 0x8;
const MSG_TRUNC = 0x20; // only datagram/seqpacket sockets: a stream keeps the rest for the next read
const MSG_NOSIGNAL = 0x4000; // a closed peer must give EPIPE, not kill the process with SIGPIPE
const MSG_CMSG_CLOEXEC = 0x40000000; // received fds are close-on-exec from the first instant
const INT_SIZE = 4;

interface Iovec {
  iov_base: Buffer;
  iov_len: number;
}
interface Msghdr {
  msg_name: null;
  msg_namelen: number;
  msg_iov: Iovec[];
  msg_iovlen: number;
  msg_control: Buffer | null;
  msg_controllen: number;
  msg_flags: number;
}
interface Cmsghdr {
  cmsg_len: number;
  cmsg_level: number;
  cmsg_type: number;
}

const fns = lazyBindings('file descriptor passing (sendmsg, recvmsg)', (lib, k) => {
  const iovec = k.struct({ iov_base: 'void *', iov_len: 'size_t' });
  const msghdr = k.struct({
    msg_name: 'void *',
    msg_namelen: 'uint32_t',
    msg_iov: k.pointer(iovec),
    msg_iovlen: 'size_t',
    msg_control: 'void *',
    msg_controllen: 'size_t',
    msg_flags: 'int',
  });
  const cmsghdr = k.struct({ cmsg_len: 'size_t', cmsg_level: 'int', cmsg_type: 'int' });
  const align = k.sizeof('size_t'); // CMSG_ALIGN rounds to sizeof(size_t)
  return {
    cmsghdr,
    cmsgHeaderSpace: alignUp(k.sizeof(cmsghdr), align),
    align,
    sendmsg: lib.func('sendmsg', 'intptr_t', ['int', k.pointer(msghdr), 'int']) as (fd: number, m: Msghdr, flags: number) => number,
    // _Inout_: the kernel's msg_controllen and msg_flags are copied back into the JS object.
    recvmsg: lib.func('recvmsg', 'intptr_t', ['int', k.inout(k.pointer(msghdr)), 'int']) as (fd: number, m: Msghdr, flags: number) => number,
  };
});

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/** CMSG_SPACE(bytes): room a control message with `bytes` of payload takes in the control buffer. */
function cmsgSpace(bytes: number): number {
  const f = fns();
  return f.cmsgHeaderSpace + alignUp(bytes, f.align);
}

export interface FdMessage {
  data: Buffer;
  /** Received descriptors, close-on-exec; the caller owns them and must close them. */
  fds: number[];
}

function message(iov: Buffer, control: Buffer | null): Msghdr {
  return {
    msg_name: null,
    msg_namelen: 0,
    msg_iov: [{ iov_base: iov, iov_len: iov.length }],
    msg_iovlen: 1,
    msg_control: control,
    msg_controllen: control?.length ?? 0,
    msg_flags: 0,
  };
}

/**
 * Sends `data` with `fds` attached (SCM_RIGHTS). The descriptors stay open here; the peer gets duplicates.
 * Stream sockets carry ancillary data only alongside at least one byte, so `data` must not be empty.
 */
export async function sendWithFds(sock: FdHandle, data: Uint8Array, fds: readonly number[], signal?: AbortSignal): Promise<void> {
  if (data.length === 0) throw new RangeError('sendWithFds needs at least one byte of data to carry the descriptors');
  const f = fns();
  const k = koffi();
  let control: Buffer | null = null;
  if (fds.length > 0) {
    control = Buffer.alloc(cmsgSpace(fds.length * INT_SIZE));
    const header: Cmsghdr = { cmsg_len: f.cmsgHeaderSpace + fds.length * INT_SIZE, cmsg_level: SOL_SOCKET, cmsg_type: SCM_RIGHTS };
    k.encode(control, 0, f.cmsghdr, header);
    fds.forEach((fd, i) => k.encode(control, f.cmsgHeaderSpace + i * INT_SIZE, 'int', fd));
  }
  let rest = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  // A stream socket may take part of the data; the descriptors travel with the first part only.
  while (rest.length > 0) {
    const sent = await sock.retry('writable', () => nonBlocking('sendmsg', f.sendmsg(sock.fd, message(rest, control), MSG_NOSIGNAL)), signal);
    control = null;
    rest = rest.subarray(sent);
  }
}

export interface ReceiveOptions {
  /** Largest payload accepted in one message (default 4096); more is left for the next call on streams. */
  maxBytes?: number;
  /** Most descriptors accepted in one message (default 16); more would be lost, which is an error. */
  maxFds?: number;
  signal?: AbortSignal;
}

/** Receives one message and any descriptors attached to it; null when the peer closed the connection. */
export async function receiveWithFds(sock: FdHandle, opts: ReceiveOptions = {}): Promise<FdMessage | null> {
  const f = fns();
  const k = koffi();
  const buf = Buffer.alloc(opts.maxBytes ?? 4096);
  const control = Buffer.alloc(cmsgSpace((opts.maxFds ?? 16) * INT_SIZE));
  const msg = message(buf, control);
  const n = await sock.retry('readable', () => nonBlocking('recvmsg', f.recvmsg(sock.fd, msg, MSG_CMSG_CLOEXEC)), opts.signal);

  const fds: number[] = [];
  for (let off = 0; off + f.cmsgHeaderSpace <= msg.msg_controllen; ) {
    const h = k.decode(control, off, f.cmsghdr) as Cmsghdr;
    if (h.cmsg_len < f.cmsgHeaderSpace) break;
    if (h.cmsg_level === SOL_SOCKET && h.cmsg_type === SCM_RIGHTS) {
      const count = Math.floor((h.cmsg_len - f.cmsgHeaderSpace) / INT_SIZE);
      for (let i = 0; i < count; i++) fds.push(k.decode(control, off + f.cmsgHeaderSpace + i * INT_SIZE, 'int') as number);
    }
    off += alignUp(h.cmsg_len, f.align);
  }
  if (msg.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) {
    for (const fd of fds) closeSync(fd);
    throw new Error(
      msg.msg_flags & MSG_CTRUNC
        ? `a message carried more than ${opts.maxFds ?? 16} file descriptors; the kernel closed the rest`
        : `a message was longer than maxBytes (${buf.length}) and was cut off`,
    );
  }
  if (n === 0 && fds.length === 0) return null;
  return { data: Buffer.from(buf.subarray(0, n)), fds };
}

export interface ConsoleMaster {
  /** The pty master; the caller owns it (wrap it with PtyMasterStream, or close it). */
  fd: number;
  /** What the runtime sent along, e.g. "/dev/ptmx" from runc. */
  name: string;
}

/**
 * The receiving end of `runc create|run|exec --console-socket PATH`: a listening unix socket to which the
 * runtime connects once and sends the container's pty master with SCM_RIGHTS.
 */
export class ConsoleSocket {
  readonly path: string;
  #listener: UnixListener;

  private constructor(listener: UnixListener) {
    this.#listener = listener;
    this.path = listener.path;
  }

  static listen(path: string): ConsoleSocket {
    return new ConsoleSocket(UnixListener.listen(path, 'stream', 1));
  }

  /** Waits for the runtime to connect and send the pty master. Rejects on timeout, abort or close(). */
  async receive(opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<ConsoleMaster> {
    const signals = [opts.signal, opts.timeoutMs === undefined ? undefined : AbortSignal.timeout(opts.timeoutMs)];
    const live = signals.filter((s): s is AbortSignal => s !== undefined);
    const signal = live.length > 1 ? AbortSignal.any(live) : live[0];
    const conn = await this.#listener.accept(signal);
    try {
      const msg = await receiveWithFds(conn, { maxFds: 4, signal });
      if (!msg || msg.fds.length === 0) throw new Error('the runtime closed the console socket without sending a terminal');
      for (const extra of msg.fds.slice(1)) closeSync(extra);
      return { fd: msg.fds[0], name: msg.data.toString('utf8') };
    } finally {
      conn.close();
    }
  }

  /** Stops listening and removes the socket file. */
  close(): void {
    this.#listener.close();
  }
}
