// The part of a log a tab holds: at most `maxLines` lines and `maxChars` characters, the newest ones, never the
// whole log (a 1 GB log is read from its end by the engine, and only this window reaches the editor). Lines
// arriving while following wait in `pending` until the next render takes them in time order; the top is cut
// in chunks (to 90 % of the limits, or of the limits times the slack given), so that most renders only add
// lines at the bottom. Earlier pages go in
// at the top while there is room. No VS Code here: node tests cover it.
import type { LogEntry } from './log-line';

export interface WindowLimits {
  maxLines: number;
  maxChars: number;
}

export interface RenderOptions {
  timestamps: boolean;
  /** Per source, what goes in front of its lines (`[app] ` when all containers are shown). */
  prefixes?: readonly string[];
}

/** What a render changed, so the editor can keep a reader's place. */
export interface WindowChange {
  /** Lines cut from the top. */
  removedTop: number;
  /** Lines added at the bottom. */
  added: number;
  /** Lines of earlier pages put in at the top since the last take. */
  addedTop: number;
}

export const NOTE_PREFIX = '── ';
const TRIM_TO = 0.9;

export class LogWindow {
  private entries: LogEntry[] = [];
  private chars = 0;
  private pending: LogEntry[] = [];
  private prepended = 0;

  constructor(readonly limits: WindowLimits) {}

  get length(): number {
    return this.entries.length;
  }

  get pendingLength(): number {
    return this.pending.length;
  }

  /** Lines that arrived (live); shown at the next take(). Beyond maxLines only the newest are kept. */
  add(entries: readonly LogEntry[]): void {
    for (const e of entries) this.pending.push(e);
    const over = this.pending.length - this.limits.maxLines;
    if (over > 0) this.pending.splice(0, over);
  }

  /**
   * Moves pending lines in, in time order (stable), and cuts the top when over a limit. `slack`: the limits may
   * be exceeded up to that factor before anything is cut (a reader is scrolled up in the lines that would go).
   */
  take(slack = 1): WindowChange {
    const added = this.pending.length;
    if (added > 0) {
      const batch = this.pending;
      this.pending = [];
      if (!isSorted(batch)) batch.sort(byKey);
      for (const e of batch) {
        this.entries.push(e);
        this.chars += e.text.length + 1;
      }
    }
    const addedTop = this.prepended;
    this.prepended = 0;
    return { removedTop: this.trim(slack), added, addedTop };
  }

  /**
   * Puts an earlier page in at the top (oldest first), as much as fits under the limits; returns how many went
   * in (fewer than given when the window is full).
   */
  prepend(entries: readonly LogEntry[]): number {
    let room = this.limits.maxLines - this.entries.length;
    let charRoom = this.limits.maxChars - this.chars;
    let from = entries.length;
    while (from > 0 && room > 0) {
      const size = entries[from - 1]!.text.length + 1;
      if (size > charRoom) break;
      from--;
      room--;
      charRoom -= size;
    }
    const page = entries.slice(from);
    if (page.length === 0) return 0;
    this.entries = [...page, ...this.entries];
    for (const e of page) this.chars += e.text.length + 1;
    this.prepended += page.length;
    return page.length;
  }

  /** The first line held of a source (or of any, without one). */
  first(source?: number): LogEntry | undefined {
    return source === undefined ? this.entries[0] : this.entries.find((e) => e.source === source);
  }

  /** The last line held, pending ones included. */
  last(): LogEntry | undefined {
    return this.pending[this.pending.length - 1] ?? this.entries[this.entries.length - 1];
  }

  /** How many lines of a source the window holds. */
  countOf(source: number): number {
    let n = 0;
    for (const e of this.entries) if (e.source === source) n++;
    return n;
  }

  /** Drops the lines (held and pending) older than `key`. */
  dropBefore(key: string): void {
    const keep = (e: LogEntry): boolean => e.key >= key;
    const kept = this.entries.filter(keep);
    for (const e of this.entries) if (!keep(e)) this.chars -= e.text.length + 1;
    this.entries = kept;
    this.pending = this.pending.filter(keep);
  }

  clear(): void {
    this.entries = [];
    this.pending = [];
    this.chars = 0;
    this.prepended = 0;
  }

  render(opts: RenderOptions): string {
    return this.renderRange(0, this.entries.length, opts);
  }

  /** Lines [start, end) of the window, joined by newlines. */
  renderRange(start: number, end: number, opts: RenderOptions): string {
    const from = Math.max(0, start);
    const to = Math.min(this.entries.length, end);
    const out: string[] = new Array(Math.max(0, to - from));
    for (let i = from; i < to; i++) out[i - from] = renderLine(this.entries[i]!, opts);
    return out.join('\n');
  }

  private trim(slack: number): number {
    const { maxLines, maxChars } = this.limits;
    if (this.entries.length <= maxLines * slack && this.chars <= maxChars * slack) return 0;
    let cut = 0;
    let chars = this.chars;
    const lines = maxLines * slack * TRIM_TO;
    const most = maxChars * slack * TRIM_TO;
    while (cut < this.entries.length && (this.entries.length - cut > lines || chars > most)) {
      chars -= this.entries[cut]!.text.length + 1;
      cut++;
    }
    this.entries.splice(0, cut);
    this.chars = chars;
    return cut;
  }
}

export function renderLine(e: LogEntry, opts: RenderOptions): string {
  if (e.source < 0) return NOTE_PREFIX + e.text;
  const prefix = opts.prefixes?.[e.source] ?? '';
  return opts.timestamps && e.time ? `${prefix}${e.time} ${e.text}` : prefix + e.text;
}

function byKey(a: LogEntry, b: LogEntry): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

function isSorted(list: readonly LogEntry[]): boolean {
  for (let i = 1; i < list.length; i++) if (list[i - 1]!.key > list[i]!.key) return false;
  return true;
}
