// The framing of the host ↔ guest agent channel, shared by both ends. The channel is one byte stream (a
// virtio-serial port here; vsock where the host has it), so everything is multiplexed on it:
//
//   magic u16 'PV' | type u8 | flags u8 | stream u32 | length u32 | payload
//
// Stream 0 carries control (JSON requests, responses, events, pings). Other streams carry bytes (exec stdin,
// stdout, stderr), each with its own credit window: a sender never has more than the receiver granted in
// flight, so a slow reader of one stream stalls that stream only, never control or another exec. The magic
// lets a host that connects to a guest mid-stream (after a daemon restart: bytes the previous host never read
// are still queued) find the first whole frame of its own session (the Welcome carrying its nonce).

export const FRAME_MAGIC = 0x5056;
export const HEADER_BYTES = 12;
/** Largest payload of any frame (a control message, a data chunk). */
export const MAX_PAYLOAD = 1 << 20;
/** Bytes of one data frame at most: smaller frames keep control frames from waiting long behind data. */
export const DATA_CHUNK = 32 * 1024;
/** Credit every data stream starts with, and the most a receiver keeps outstanding. */
export const STREAM_WINDOW = 256 * 1024;

export enum FrameType {
  /** host → guest, stream 0: `{version, nonce, time}` opens a session (repeated until answered). */
  Hello = 1,
  /** guest → host, stream 0: `{version, nonce, ...}` answers a Hello; the session starts after it. */
  Welcome = 2,
  /** host → guest: `{id, method, params}` */
  Request = 3,
  /** guest → host: `{id, result}` or `{id, error: {message, code}}` */
  Response = 4,
  /** guest → host: `{event, ...}` */
  Event = 5,
  /** Bytes of a stream. */
  Data = 6,
  /** u32: more bytes the receiver accepts on this stream. */
  Credit = 7,
  /** The sender's half of the stream is over (after its last Data). */
  Eof = 8,
  /** The stream is abandoned by the sender of this frame (both directions). */
  Reset = 9,
  Ping = 10,
  Pong = 11,
}

export interface Frame {
  type: FrameType;
  stream: number;
  payload: Buffer;
}

export function encodeFrame(type: FrameType, stream: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  if (payload.length > MAX_PAYLOAD) throw new Error(`frame payload of ${payload.length} bytes exceeds ${MAX_PAYLOAD}`);
  const head = Buffer.allocUnsafe(HEADER_BYTES);
  head.writeUInt16BE(FRAME_MAGIC, 0);
  head.writeUInt8(type, 2);
  head.writeUInt8(0, 3);
  head.writeUInt32BE(stream >>> 0, 4);
  head.writeUInt32BE(payload.length, 8);
  return payload.length ? Buffer.concat([head, payload]) : head;
}

export function encodeJson(type: FrameType, value: unknown, stream = 0): Buffer {
  return encodeFrame(type, stream, Buffer.from(JSON.stringify(value), 'utf8'));
}

export function creditPayload(bytes: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(bytes >>> 0, 0);
  return b;
}

function validHeader(buf: Buffer, at: number): boolean {
  return buf.readUInt16BE(at) === FRAME_MAGIC && buf[at + 2] >= FrameType.Hello && buf[at + 2] <= FrameType.Pong && buf.readUInt32BE(at + 8) <= MAX_PAYLOAD;
}

/**
 * Splits the byte stream into frames. A header that does not hold up (wrong magic, unknown type, oversize)
 * makes the decoder skip ahead to the next plausible header instead of failing: the peer may have been
 * replaced mid-frame. `skipped` counts the bytes thrown away.
 */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);
  skipped = 0;

  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Frame[] = [];
    let at = 0;
    while (this.buf.length - at >= HEADER_BYTES) {
      if (!validHeader(this.buf, at)) {
        at++;
        this.skipped++;
        continue;
      }
      const len = this.buf.readUInt32BE(at + 8);
      if (this.buf.length - at < HEADER_BYTES + len) break;
      out.push({ type: this.buf[at + 2], stream: this.buf.readUInt32BE(at + 4), payload: Buffer.from(this.buf.subarray(at + HEADER_BYTES, at + HEADER_BYTES + len)) });
      at += HEADER_BYTES + len;
    }
    this.buf = at ? Buffer.from(this.buf.subarray(at)) : this.buf;
    return out;
  }

  reset(): void {
    this.buf = Buffer.alloc(0);
  }
}
