// Unix SOCK_SEQPACKET sockets: reliable, ordered, and message-preserving (each send is one whole message).
// Node's net only has SOCK_STREAM, where message boundaries vanish; conmon's attach socket is SEQPACKET and
// frames its output one message per read. Sends and receives are non-blocking calls awaited via FdHandle.
import { AGAIN, FdHandle, nonBlocking } from './fd-handle';
import { lazyBindings } from './libc';
import { connectUnix, shutdownSocket, SHUT_WR, unixSocketPair } from './unix-socket';

const MSG_PEEK = 0x2;
const MSG_TRUNC = 0x20;
const MSG_NOSIGNAL = 0x4000;

const fns = lazyBindings('SOCK_SEQPACKET sockets (send, recv)', (lib) => ({
  send: lib.func('intptr_t send(int fd, void *buf, size_t len, int flags)') as (fd: number, b: Buffer, n: number, f: number) => number,
  recv: lib.func('intptr_t recv(int fd, void *buf, size_t len, int flags)') as (fd: number, b: Buffer | null, n: number, f: number) => number,
}));

export class SeqpacketSocket {
  #handle: FdHandle;
  // One send and one receive at a time, so concurrent callers cannot reorder messages while one waits.
  #sendChain: Promise<unknown> = Promise.resolve();
  #recvChain: Promise<unknown> = Promise.resolve();

  private constructor(handle: FdHandle) {
    this.#handle = handle;
  }

  /** Connects to a listening SOCK_SEQPACKET socket (paths longer than sun_path are handled). */
  static async connect(path: string, signal?: AbortSignal): Promise<SeqpacketSocket> {
    return new SeqpacketSocket(await connectUnix(path, 'seqpacket', signal));
  }

  /** Wraps an already connected SOCK_SEQPACKET fd, taking ownership of it. */
  static fromFd(fd: number): SeqpacketSocket {
    return new SeqpacketSocket(new FdHandle(fd));
  }

  /** A connected pair, for tests and in-process plumbing. */
  static pair(): [SeqpacketSocket, SeqpacketSocket] {
    const [a, b] = unixSocketPair('seqpacket');
    return [new SeqpacketSocket(a), new SeqpacketSocket(b)];
  }

  get closed(): boolean {
    return this.#handle.closed;
  }

  /** Sends `data` as one message (all or nothing: EMSGSIZE if larger than the socket buffer allows). */
  send(data: Uint8Array, signal?: AbortSignal): Promise<void> {
    const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const op = this.#sendChain.then(() =>
      this.#handle.retry('writable', () => nonBlocking('send', fns().send(this.#handle.fd, buf, buf.length, MSG_NOSIGNAL)), signal),
    );
    this.#sendChain = op.catch(() => undefined);
    return op.then(() => undefined);
  }

  /**
   * Receives the next whole message, or null once the peer has closed. Like Go's "unixpacket", a zero-length
   * message is indistinguishable from end of stream and is read as such.
   */
  receive(signal?: AbortSignal): Promise<Buffer | null> {
    const op = this.#recvChain.then(() => this.#handle.retry('readable', () => this.#receiveOnce(), signal));
    this.#recvChain = op.catch(() => undefined);
    return op;
  }

  // MSG_PEEK|MSG_TRUNC reports the next message's full length without consuming it, so it is never truncated.
  #receiveOnce(): Buffer | null | typeof AGAIN {
    const { recv } = fns();
    const size = nonBlocking('recv', recv(this.#handle.fd, null, 0, MSG_PEEK | MSG_TRUNC));
    if (size === AGAIN) return AGAIN;
    const buf = Buffer.alloc(Math.max(size, 1));
    const n = nonBlocking('recv', recv(this.#handle.fd, buf, buf.length, 0));
    if (n === AGAIN) return AGAIN;
    return n === 0 ? null : buf.subarray(0, n);
  }

  /** Yields messages until the peer closes. */
  async *messages(signal?: AbortSignal): AsyncGenerator<Buffer> {
    for (;;) {
      const m = await this.receive(signal);
      if (m === null) return;
      yield m;
    }
  }

  /** Tells the peer no more messages will come (it reads end of stream) while still receiving its answers. */
  shutdownWrite(): void {
    shutdownSocket(this.#handle, SHUT_WR);
  }

  /** Closes the socket; pending send/receive calls reject with FdClosedError. */
  close(): void {
    this.#handle.close();
  }
}
