// Log lines as the daemon sends them with timestamps on (`<RFC 3339 time> <text>`, what `podsmith logs
// --timestamps` prints): split into lines across chunk boundaries, the time turned into a key that sorts, the
// text made safe to show in an editor. No VS Code here: node tests cover it.
import { StringDecoder } from 'node:string_decoder';

/** One line of a log tab: its time (as written), a key that sorts by time, the text, and whose it is. */
export interface LogEntry {
  /** The timestamp as the log has it (RFC 3339, nanoseconds); empty for notes made without one. */
  time: string;
  /** Sorts as the time does, whatever the offset: `<epoch seconds, 12 digits>.<nanoseconds, 9 digits>`. */
  key: string;
  text: string;
  /** Index of the container in the session's list; -1 for the session's own notes (restarts, the end). */
  source: number;
}

const STAMPED = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2}) /;

/** The sort key of an RFC 3339 time; undefined when it is not one. */
export function timeKey(time: string): string | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(time);
  return m ? keyOf(m[1]!, m[2], m[3]!) : undefined;
}

function keyOf(base: string, fraction: string | undefined, offset: string): string | undefined {
  const ms = Date.parse(base + offset);
  if (Number.isNaN(ms)) return undefined;
  return `${String(Math.floor(ms / 1000)).padStart(12, '0')}.${(fraction ?? '').padEnd(9, '0')}`;
}

/** The key for a moment given in milliseconds (notes made from events, "now"). */
export function keyOfMs(ms: number): string {
  const sec = Math.floor(ms / 1000);
  return `${String(sec).padStart(12, '0')}.${String((ms - sec * 1000) * 1e6).padStart(9, '0')}`;
}

/** Splits `<time> <text>`; a line without a leading time keeps `fallbackKey` (it belongs after the line before). */
export function parseStamped(line: string, source: number, fallbackKey: string): LogEntry {
  const m = STAMPED.exec(line);
  const key = m && keyOf(m[1]!, m[2], m[3]!);
  if (!m || !key) return { time: '', key: fallbackKey, text: displayText(line), source };
  return { time: line.slice(0, m[0].length - 1), key, text: displayText(line.slice(m[0].length)), source };
}

// CSI sequences (colors, cursor moves), OSC sequences (titles, links) and other two-byte escapes: a log tab shows
// text, and raw escapes are noise (the Output panel's old complaint, vscode #571).
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;
// What is left of control and format characters (bidi overrides, zero-width, C1) is shown as an escape, as
// engine/text/safe-text does, so a line cannot hide or reorder text. Tabs stay.
const UNSAFE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/gu;
/** Longer lines are cut: the editor stops rendering and tokenizing long lines anyway. */
export const MAX_LINE_CHARS = 16 * 1024;

export function displayText(raw: string): string {
  let s = raw.replace(ANSI, '');
  s = s.replace(UNSAFE, (ch) => {
    if (ch === '\t') return ch;
    const code = ch.codePointAt(0)!;
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
  if (s.length > MAX_LINE_CHARS) s = `${s.slice(0, MAX_LINE_CHARS)}… (${s.length - MAX_LINE_CHARS} more characters)`;
  return s;
}

/** Bytes in, whole lines out; a line cut by a chunk boundary (or a multi-byte character) waits for the rest. */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private rest = '';

  push(chunk: Buffer): string[] {
    const text = this.rest + this.decoder.write(chunk);
    const lines = text.split('\n');
    this.rest = lines.pop()!;
    return lines;
  }

  /** What is left at the end of the stream (a last line without a newline). */
  end(): string[] {
    const last = this.rest + this.decoder.end();
    this.rest = '';
    return last ? [last] : [];
  }
}

/** Merges lists that are each in time order into one in time order (stable: ties keep list order). */
export function mergeByTime(lists: LogEntry[][]): LogEntry[] {
  const nonEmpty = lists.filter((l) => l.length > 0);
  if (nonEmpty.length <= 1) return nonEmpty[0]?.slice() ?? [];
  const all = nonEmpty.flatMap((l, i) => l.map((e, j) => ({ e, i, j })));
  all.sort((a, b) => (a.e.key < b.e.key ? -1 : a.e.key > b.e.key ? 1 : a.i - b.i || a.j - b.j));
  return all.map((x) => x.e);
}
