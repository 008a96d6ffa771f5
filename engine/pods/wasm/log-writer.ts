// A container instance's CRI log, written by the supervisor from what the module writes to fds 1 and 2: one
// `F` record per complete line, `P` records only for a line longer than 16 KiB, and the unterminated rest
// written as a line when the instance ends. Writes are synchronous appends, so a rotation (a rename of the
// live file, then reopen(), in the same thread) can never lose or split a record.
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { formatCriRecord, formatCriTime, type LogStreamName } from '../../logs/cri-format';

const MAX_RECORD = 16 * 1024;

export class CriLogWriter {
  private fd: number | undefined;
  private readonly pending: Record<LogStreamName, string> = { stdout: '', stderr: '' };
  private readonly decoders: Record<LogStreamName, StringDecoder> = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    this.fd = openSync(path, 'a', 0o600);
  }

  get open(): boolean {
    return this.fd !== undefined;
  }

  write(stream: LogStreamName, data: Uint8Array): void {
    let text = this.pending[stream] + this.decoders[stream].write(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    const time = formatCriTime(performance.timeOrigin + performance.now());
    let out = '';
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n')) {
      out += this.records(time, stream, text.slice(0, nl));
      text = text.slice(nl + 1);
    }
    // A line that keeps growing without a newline goes out in parts, as conmon does with a full buffer.
    while (Buffer.byteLength(text) > MAX_RECORD) {
      const cut = this.cut(text);
      out += formatCriRecord(time, stream, true, text.slice(0, cut));
      text = text.slice(cut);
    }
    this.pending[stream] = text;
    this.append(out);
  }

  /** Starts a new live file (after the rotator renamed the old one away). */
  reopen(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = openSync(this.path, 'a', 0o600);
  }

  /** Writes what is left of unterminated lines and closes the file. */
  close(): void {
    if (this.fd === undefined) return;
    const time = formatCriTime(performance.timeOrigin + performance.now());
    let out = '';
    for (const stream of ['stdout', 'stderr'] as const) {
      const rest = this.pending[stream] + this.decoders[stream].end();
      if (rest) out += this.records(time, stream, rest);
      this.pending[stream] = '';
    }
    this.append(out);
    closeSync(this.fd);
    this.fd = undefined;
  }

  private records(time: string, stream: LogStreamName, line: string): string {
    let out = '';
    while (Buffer.byteLength(line) > MAX_RECORD) {
      const cut = this.cut(line);
      out += formatCriRecord(time, stream, true, line.slice(0, cut));
      line = line.slice(cut);
    }
    return out + formatCriRecord(time, stream, false, line);
  }

  /** A cut of at most MAX_RECORD bytes that does not split a UTF-16 surrogate pair. */
  private cut(text: string): number {
    let cut = Math.min(text.length, MAX_RECORD);
    while (Buffer.byteLength(text.slice(0, cut)) > MAX_RECORD) cut = Math.floor(cut * 0.9);
    const code = text.charCodeAt(cut - 1);
    if (code >= 0xd800 && code <= 0xdbff) cut--;
    return Math.max(1, cut);
  }

  private append(text: string): void {
    if (!text || this.fd === undefined) return;
    const buf = Buffer.from(text, 'utf8');
    for (let off = 0; off < buf.length; ) off += writeSync(this.fd, buf, off);
  }
}
