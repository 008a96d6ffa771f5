// TEST ONLY: a JSON-RPC client that writes whatever it is given on the daemon's socket (no vscode-jsonrpc, no
// typing), to send the daemon wrong types, odd shapes and broken framing as a buggy or hostile client would.
import { connect, type Socket } from 'node:net';
import { daemonPaths } from '../../../engine/daemon/paths';

export interface RpcReply {
  id: number | string | null;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

export class RawRpc {
  private buf = Buffer.alloc(0);
  private nextId = 1;
  private readonly waiting = new Map<number | string | null, (r: RpcReply) => void>();
  /** Resolves when the daemon closes the connection. */
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => {});
    this.closed = new Promise((r) => socket.once('close', () => r()));
  }

  static open(home: string): Promise<RawRpc> {
    return new Promise((resolve, reject) => {
      const s = connect(daemonPaths(home).socket);
      s.once('error', reject);
      s.once('connect', () => {
        s.off('error', reject);
        resolve(new RawRpc(s));
      });
    });
  }

  /** Sends a request with any params (undefined: the field is left out) and waits for its reply. */
  call(method: string, params?: unknown): Promise<RpcReply> {
    const id = this.nextId++;
    const msg: Record<string, unknown> = { jsonrpc: '2.0', id, method };
    if (params !== undefined) msg.params = params;
    return this.callRaw(id, JSON.stringify(msg));
  }

  /** Sends `body` as one framed message and waits for the reply with `id`. */
  callRaw(id: number | string | null, body: string): Promise<RpcReply> {
    const reply = new Promise<RpcReply>((resolve, reject) => {
      this.waiting.set(id, resolve);
      void this.closed.then(() => reject(new Error(`the daemon closed the connection before answering ${id}`)));
    });
    this.sendBytes(Buffer.concat([Buffer.from(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`), Buffer.from(body)]));
    return reply;
  }

  sendBytes(bytes: Buffer | string): void {
    this.socket.write(bytes);
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buf = Buffer.concat([this.buf, chunk]);
    for (;;) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/Content-Length: (\d+)/i.exec(this.buf.subarray(0, end).toString())?.[1]);
      if (this.buf.length < end + 4 + length) return;
      const msg = JSON.parse(this.buf.subarray(end + 4, end + 4 + length).toString()) as RpcReply & { method?: string };
      this.buf = this.buf.subarray(end + 4 + length);
      if (msg.method === undefined) this.waiting.get(msg.id)?.(msg);
    }
  }
}
