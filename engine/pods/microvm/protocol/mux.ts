// Byte streams over the channel, with credit-based flow control, the same on both ends. A receiver grants
// credit as its reader consumes (never more than STREAM_WINDOW outstanding), and a sender sends no more than
// it was granted: a reader that stops reading stops that one stream, while control frames and the other
// streams keep flowing. Data and Eof frames of a stream go out in order on the sender's bulk queue; Credit and
// Reset go on the priority queue.
import { Readable, Writable } from 'node:stream';
import { creditPayload, DATA_CHUNK, encodeFrame, FrameType, STREAM_WINDOW, type Frame } from './frames';

/** How a frame leaves: `bulk` frames keep their order among themselves; priority frames may overtake them. */
export type SendFrame = (frame: Buffer, bulk: boolean) => void;

export class StreamResetError extends Error {
  constructor(readonly stream: number, why: string) {
    super(why);
    this.name = 'StreamResetError';
  }
}

class InStream extends Readable {
  private received = 0;
  private granted = STREAM_WINDOW;
  private silent = false;

  constructor(
    readonly id: number,
    private readonly mux: StreamMux,
  ) {
    super({ highWaterMark: STREAM_WINDOW });
  }

  data(chunk: Buffer): void {
    if (this.destroyed || this.readableEnded) return;
    if (this.received + chunk.length > this.granted) {
      // The peer ignored its credit: the stream cannot be trusted to stay bounded.
      this.destroy(new StreamResetError(this.id, `stream ${this.id}: the peer sent past its credit`));
      return;
    }
    this.received += chunk.length;
    this.push(chunk);
    this.grant();
  }

  eof(): void {
    if (!this.destroyed) this.push(null);
    this.mux.forgetIn(this.id, this);
  }

  override _read(): void {
    // read() calls this before it takes the data out of the buffer: count what was consumed right after.
    setImmediate(() => this.grant());
  }

  /** The peer abandoned the stream (or the session ended): end it without telling the peer. */
  abandon(err: Error): void {
    this.silent = true;
    this.destroy(err);
  }

  private grant(): void {
    if (this.destroyed || this.readableEnded) return;
    const consumed = this.received - this.readableLength;
    const target = consumed + STREAM_WINDOW;
    // Grant in quarters of the window: one Credit frame per 64 KiB read, not one per chunk.
    if (target - this.granted >= STREAM_WINDOW / 4) {
      this.mux.send(encodeFrame(FrameType.Credit, this.id, creditPayload(target - this.granted)), false);
      this.granted = target;
    }
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    // Abandoned before its end: the peer stops sending.
    if (!this.readableEnded && !this.silent) this.mux.send(encodeFrame(FrameType.Reset, this.id), false);
    this.mux.forgetIn(this.id, this);
    cb(err);
  }
}

class OutStream extends Writable {
  private credit = STREAM_WINDOW;
  private waiting: (() => void) | undefined;
  /** The peer reset the stream: what is written from now on goes nowhere. */
  private gone = false;

  constructor(
    readonly id: number,
    private readonly mux: StreamMux,
  ) {
    super({ highWaterMark: DATA_CHUNK });
  }

  addCredit(n: number): void {
    this.credit += n;
    const w = this.waiting;
    this.waiting = undefined;
    w?.();
  }

  peerReset(): void {
    if (this.gone) return;
    this.gone = true;
    // For a user that must stop its source too (a port dial's socket); exec's stdin needs no listener.
    this.emit('reset');
    const w = this.waiting;
    this.waiting = undefined;
    w?.();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (error?: Error | null) => void): void {
    let at = 0;
    const pump = () => {
      while (at < chunk.length) {
        if (this.gone || this.destroyed) return cb();
        if (this.credit <= 0) {
          this.waiting = pump;
          return;
        }
        const n = Math.min(this.credit, DATA_CHUNK, chunk.length - at);
        this.mux.send(encodeFrame(FrameType.Data, this.id, chunk.subarray(at, at + n)), true);
        this.credit -= n;
        at += n;
      }
      cb();
    };
    pump();
  }

  override _final(cb: (error?: Error | null) => void): void {
    if (!this.gone) this.mux.send(encodeFrame(FrameType.Eof, this.id), true);
    this.mux.forgetOut(this.id, this);
    cb();
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    if (!this.writableFinished && !this.gone) this.mux.send(encodeFrame(FrameType.Reset, this.id), false);
    this.waiting = undefined;
    this.mux.forgetOut(this.id, this);
    cb(err);
  }
}

export class StreamMux {
  private readonly ins = new Map<number, InStream>();
  private readonly outs = new Map<number, OutStream>();

  constructor(readonly send: SendFrame) {}

  /** A stream the peer writes to: a Readable whose consumption grants the peer credit. */
  incoming(id: number): Readable {
    const s = new InStream(id, this);
    this.ins.set(id, s);
    return s;
  }

  /** A stream to the peer: a Writable that waits for credit. end() sends Eof after the last data. */
  outgoing(id: number): Writable & { readonly id: number } {
    const s = new OutStream(id, this);
    this.outs.set(id, s);
    return s;
  }

  /** Whether a stream of this id is open either way (a new one must not reuse it). */
  busy(id: number): boolean {
    return this.ins.has(id) || this.outs.has(id);
  }

  /** Takes the data-plane frames (Data, Credit, Eof, Reset); false for any other frame. */
  handle(f: Frame): boolean {
    switch (f.type) {
      case FrameType.Data:
        this.ins.get(f.stream)?.data(f.payload);
        return true;
      case FrameType.Eof:
        this.ins.get(f.stream)?.eof();
        return true;
      case FrameType.Credit:
        if (f.payload.length === 4) this.outs.get(f.stream)?.addCredit(f.payload.readUInt32BE(0));
        return true;
      case FrameType.Reset:
        this.ins.get(f.stream)?.abandon(new StreamResetError(f.stream, `stream ${f.stream}: the peer reset it`));
        this.outs.get(f.stream)?.peerReset();
        return true;
      default:
        return false;
    }
  }

  forgetIn(id: number, s: InStream): void {
    if (this.ins.get(id) === s) this.ins.delete(id);
  }

  forgetOut(id: number, s: OutStream): void {
    if (this.outs.get(id) === s) this.outs.delete(id);
  }

  /** The session is over: every stream ends with `err`. */
  closeAll(err: Error): void {
    for (const s of [...this.ins.values()]) s.abandon(err);
    for (const s of [...this.outs.values()]) {
      s.peerReset();
      s.destroy();
    }
    this.ins.clear();
    this.outs.clear();
  }
}
