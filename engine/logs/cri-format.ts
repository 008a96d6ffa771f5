// The Kubernetes CRI log format, one record per line:
//   <RFC3339Nano timestamp> <stdout|stderr> <tags> <content>
// where tags is `P` (partial: the line continues in the next record of the same stream) or `F` (full), possibly
// followed by `:`-separated extra tags. conmon (`-l k8s-file:PATH`) writes this, with a numeric UTC offset
// (`+00:00`) and a P record wherever a pipe read ended mid-line.

export type LogStreamName = 'stdout' | 'stderr';

export interface CriRecord {
  /** The timestamp exactly as written (kept as text: it has nanoseconds, a Date has milliseconds). */
  time: string;
  stream: LogStreamName;
  /** True for a P record: the line goes on in the next record of this stream. */
  partial: boolean;
  /** The content without the newline and without a trailing CR. */
  content: string;
}

const SPACE = 0x20;
const CR = 0x0d;
const LF = 0x0a;

const STDOUT = Buffer.from('stdout');
const STDERR = Buffer.from('stderr');

// A timestamp longer than this is not a timestamp; the bound also keeps a garbage line from being scanned twice.
const MAX_TIME_CHARS = 64;

/**
 * Parses one record from `buf[start, end)` (without its newline). Returns undefined for a malformed record:
 * callers count and skip those, so a damaged file never stops a reader.
 */
export function parseCriRecord(buf: Buffer, start = 0, end = buf.length): CriRecord | undefined {
  const head = parseCriHead(buf, start, end);
  if (!head) return undefined;
  let contentEnd = end;
  if (contentEnd > head.contentStart && buf[contentEnd - 1] === CR) contentEnd--;
  const content = contentEnd > head.contentStart ? buf.toString('utf8', head.contentStart, contentEnd) : '';
  return { time: head.time, stream: head.stream, partial: head.partial, content };
}

export interface CriHead {
  time: string;
  stream: LogStreamName;
  partial: boolean;
  /** Offset in the buffer where the content starts (may equal the record end for empty content). */
  contentStart: number;
}

/** Parses only the fields before the content: enough for scanning backwards without decoding contents. */
export function parseCriHead(buf: Buffer, start: number, end: number): CriHead | undefined {
  const timeEnd = indexOfByte(buf, SPACE, start, Math.min(end, start + MAX_TIME_CHARS + 1));
  if (timeEnd <= start) return undefined;
  const time = buf.toString('latin1', start, timeEnd);
  if (!Number.isFinite(criTimeToMs(time))) return undefined;

  const streamStart = timeEnd + 1;
  let stream: LogStreamName;
  if (matches(buf, streamStart, end, STDOUT)) stream = 'stdout';
  else if (matches(buf, streamStart, end, STDERR)) stream = 'stderr';
  else return undefined;
  const streamEnd = streamStart + 6;
  if (streamEnd >= end || buf[streamEnd] !== SPACE) return undefined;

  // Tags end at the next space or at the end of the record (empty content may lose its separator).
  const tagStart = streamEnd + 1;
  let tagEnd = indexOfByte(buf, SPACE, tagStart, end);
  if (tagEnd < 0) tagEnd = end;
  if (tagEnd > tagStart && buf[tagEnd - 1] === CR) tagEnd--;
  if (tagEnd === tagStart) return undefined;
  const first = buf[tagStart];
  if (first !== 0x50 /* P */ && first !== 0x46 /* F */) return undefined;
  if (tagEnd > tagStart + 1 && buf[tagStart + 1] !== 0x3a /* : */) return undefined;

  const contentStart = Math.min(tagEnd + 1, end);
  return { time, stream, partial: first === 0x50, contentStart };
}

/** Formats one record with its newline. `content` must not contain a newline (see `splitIntoCriRecords`). */
export function formatCriRecord(time: string, stream: LogStreamName, partial: boolean, content: string): string {
  return `${time} ${stream} ${partial ? 'P' : 'F'} ${content}\n`;
}

/**
 * Turns text a program wrote into records: one F record per complete line; a line longer than
 * `maxContentBytes` becomes P records followed by an F. A trailing fragment without a newline becomes P records.
 */
export function splitIntoCriRecords(
  time: string,
  stream: LogStreamName,
  text: string,
  maxContentBytes = 16 * 1024,
): string {
  const parts: string[] = [];
  const lines = text.split('\n');
  const endsWithNewline = lines[lines.length - 1] === '';
  if (endsWithNewline) lines.pop();
  lines.forEach((line, i) => {
    const complete = i < lines.length - 1 || endsWithNewline;
    const pieces = chunkByBytes(line, maxContentBytes);
    pieces.forEach((piece, j) => {
      const last = j === pieces.length - 1;
      parts.push(formatCriRecord(time, stream, !(last && complete), piece));
    });
  });
  return parts.join('');
}

function chunkByBytes(line: string, max: number): string[] {
  if (Buffer.byteLength(line) <= max) return [line];
  const out: string[] = [];
  let current = '';
  let bytes = 0;
  // Iterating code points keeps a multi-byte character inside one record.
  for (const ch of line) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > max && current) {
      out.push(current);
      current = '';
      bytes = 0;
    }
    current += ch;
    bytes += n;
  }
  out.push(current);
  return out;
}

/** RFC3339 with nine fractional digits in UTC, the form conmon and CRI-O write (with `Z`). */
export function formatCriTime(ms: number, extraNanos = 0): string {
  const whole = Math.floor(ms);
  const iso = new Date(whole).toISOString(); // 2026-11-22T08:00:00.123Z
  const nanos = Math.round((ms - whole) * 1e6) + extraNanos;
  const frac = iso.slice(20, 23) + String(Math.min(999999, Math.max(0, nanos))).padStart(6, '0');
  return `${iso.slice(0, 19)}.${frac}Z`;
}

/**
 * Milliseconds since the epoch (with a fraction: sub-millisecond digits are kept as far as a double allows);
 * NaN when `time` is not RFC3339. Hand-written because Date.parse rejects nine fractional digits in some forms
 * and this runs once per record when filtering by time.
 */
export function criTimeToMs(time: string): number {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)
  if (time.length < 20) return NaN;
  const year = digits(time, 0, 4);
  const month = digits(time, 5, 2);
  const day = digits(time, 8, 2);
  const hour = digits(time, 11, 2);
  const minute = digits(time, 14, 2);
  const second = digits(time, 17, 2);
  if (time[4] !== '-' || time[7] !== '-' || (time[10] !== 'T' && time[10] !== 't') || time[13] !== ':' || time[16] !== ':') {
    return NaN;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return NaN;
  let i = 19;
  let fracMs = 0;
  if (time[i] === '.') {
    i++;
    const fracStart = i;
    while (i < time.length && time.charCodeAt(i) >= 48 && time.charCodeAt(i) <= 57) i++;
    const n = i - fracStart;
    if (n === 0 || n > 9) return NaN;
    fracMs = (digits(time, fracStart, n) * 10 ** (9 - n)) / 1e6;
  }
  let offsetMin = 0;
  const zone = time.slice(i);
  if (zone === 'Z' || zone === 'z') {
    offsetMin = 0;
  } else if (/^[+-]\d\d:?\d\d$/.test(zone)) {
    const sign = zone[0] === '-' ? -1 : 1;
    const hh = digits(zone, 1, 2);
    const mm = digits(zone, zone.length - 2, 2);
    if (hh > 23 || mm > 59) return NaN;
    offsetMin = sign * (hh * 60 + mm);
  } else {
    return NaN;
  }
  const base = Date.UTC(year, month - 1, day, hour, minute, second);
  return base - offsetMin * 60_000 + fracMs;
}

function digits(s: string, start: number, n: number): number {
  let v = 0;
  for (let i = start; i < start + n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return NaN;
    v = v * 10 + c;
  }
  return v;
}

function matches(buf: Buffer, at: number, end: number, word: Buffer): boolean {
  if (at + word.length > end) return false;
  for (let i = 0; i < word.length; i++) if (buf[at + i] !== word[i]) return false;
  return true;
}

/** indexOf bounded to [from, to): Buffer.indexOf has no end bound. */
export function indexOfByte(buf: Buffer, byte: number, from: number, to: number): number {
  for (let i = from; i < to; i++) if (buf[i] === byte) return i;
  return -1;
}

export const NEWLINE = LF;
