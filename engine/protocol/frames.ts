// The attach framing of messages.ts, both directions: encode one frame, and split a byte stream back into
// frames however the socket chunked it.
import { Frame, LAST_FRAME, MAX_FRAME } from './messages';

const HEADER = 5;

export function encodeFrame(type: Frame, payload: Uint8Array = Buffer.alloc(0)): Buffer {
  const head = Buffer.allocUnsafe(HEADER);
  head.writeUInt8(type, 0);
  head.writeUInt32BE(payload.length, 1);
  return payload.length === 0 ? head : Buffer.concat([head, payload]);
}

export function exitFrame(code: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeInt32BE(code, 0);
  return encodeFrame(Frame.Exit, b);
}

export function resizeFrame(size: { columns: number; rows: number }): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt16BE(clamp16(size.columns), 0);
  b.writeUInt16BE(clamp16(size.rows), 2);
  return encodeFrame(Frame.Resize, b);
}

const clamp16 = (n: number): number => Math.max(1, Math.min(0xffff, Math.floor(n) || 1));

export function readResize(payload: Buffer): { columns: number; rows: number } {
  return { columns: payload.readUInt16BE(0), rows: payload.readUInt16BE(2) };
}

export interface DecodedFrame {
  type: Frame;
  payload: Buffer;
}

/** Incremental decoder: push chunks, get whole frames. Throws on an oversized or unknown frame. */
export class FrameDecoder {
  private pending: Buffer[] = [];
  private size = 0;
  /** Bytes the next frame needs in total, once its header is known; saves re-joining a big frame per chunk. */
  private need = HEADER;

  push(chunk: Buffer): DecodedFrame[] {
    this.pending.push(chunk);
    this.size += chunk.length;
    const out: DecodedFrame[] = [];
    if (this.size < this.need) return out;
    const buf = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.size);
    let at = 0;
    this.need = HEADER;
    while (buf.length - at >= HEADER) {
      const type = buf.readUInt8(at);
      const len = buf.readUInt32BE(at + 1);
      if (type < Frame.Stdin || type > LAST_FRAME) throw new Error(`unknown frame type ${type}`);
      if (len > MAX_FRAME) throw new Error(`frame of ${len} bytes exceeds the ${MAX_FRAME}-byte limit`);
      if (buf.length - at < HEADER + len) {
        this.need = HEADER + len;
        break;
      }
      out.push({ type, payload: buf.subarray(at + HEADER, at + HEADER + len) });
      at += HEADER + len;
    }
    const rest = buf.subarray(at);
    this.pending = rest.length ? [rest] : [];
    this.size = rest.length;
    return out;
  }
}
