// Output of `runc exec -t` as a terminal would show it: every \n not already preceded by \r becomes \r\n. runc
// proxies the container's pty and clears its ONLCR once it holds it, but a command that writes at once can beat
// that, so the same program's lines arrive as \r\n one time and \n the next. Translating here (the outer pty
// translates nothing: native setRawMode) gives one answer every time.
import { Transform, type TransformCallback } from 'node:stream';

const CR = 0x0d;
const LF = 0x0a;

export class TerminalNewlines extends Transform {
  /** The byte before the current chunk: a \r\n split across two chunks stays one newline. */
  private prev = -1;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    const bare: number[] = [];
    for (let i = 0; i < chunk.length; i++) if (chunk[i] === LF && (i > 0 ? chunk[i - 1] : this.prev) !== CR) bare.push(i);
    if (chunk.length > 0) this.prev = chunk[chunk.length - 1];
    if (bare.length === 0) return cb(null, chunk);
    const parts: Buffer[] = [];
    let from = 0;
    for (const i of bare) {
      parts.push(chunk.subarray(from, i), CRLF);
      from = i + 1;
    }
    parts.push(chunk.subarray(from));
    cb(null, Buffer.concat(parts));
  }
}

const CRLF = Buffer.from('\r\n');
