// Finds where reading must start for `tail` and `since` by scanning the chain backwards from its end in fixed
// chunks: only the records that will be printed are visited (plus the beginnings of their lines), so the tail
// of a 1 GB log costs a few reads, not a pass over the file.
import { criTimeToMs, parseCriHead, type CriHead, type LogStreamName } from './cri-format';
import { readAt } from './fd-io';

const BACK_CHUNK = 64 * 1024;
// Bytes of a record's beginning needed to parse its head (timestamp, stream, tag).
const HEAD_BYTES = 128;

export interface ScanFile {
  fd: number;
  /** Bytes of the file that belong to the snapshot. */
  size: number;
}

export interface StartPlan {
  /** Global position (offset in the concatenated chain) where forward reading starts. */
  start: number;
  /** Per stream, the position of its first record to print; Infinity when none of it is printed. */
  startAt: Map<LogStreamName, number>;
  /**
   * Streams whose log ends inside a line that is not printed: a follower must drop that line's remaining
   * records instead of printing its end as a line of its own.
   */
  dropContinuation: Set<LogStreamName>;
}

export interface ScanLimits {
  /** Keep only the last N lines. */
  tail?: number;
  /** Keep only lines completed at or after this time (ms since the epoch). */
  sinceMs?: number;
  streams: ReadonlySet<LogStreamName>;
}

/** Plans the start for `files` (oldest first). Without tail and since, everything is read. */
export async function planStart(files: ScanFile[], limits: ScanLimits): Promise<StartPlan> {
  if (limits.tail === undefined && limits.sinceMs === undefined) {
    return { start: 0, startAt: new Map(), dropContinuation: new Set() };
  }
  const planner = new LinePlanner(limits);
  let base = files.reduce((n, f) => n + f.size, 0);
  const total = base;
  let stopped = false;
  for (let i = files.length - 1; i >= 0 && !stopped; i--) {
    base -= files[i].size;
    const fileBase = base;
    stopped = await scanBackward(files[i], (head, offset) => planner.visit(head, fileBase + offset));
  }
  planner.finish();
  const startAt = new Map<LogStreamName, number>();
  let start = total;
  for (const s of limits.streams) {
    const at = planner.earliest.get(s) ?? Number.POSITIVE_INFINITY;
    startAt.set(s, at);
    start = Math.min(start, at);
  }
  return { start, startAt, dropContinuation: planner.dropContinuation };
}

/**
 * Lines are per stream (P records join with the next record of the same stream). Going backwards, a line's
 * F record is met first (it decides whether the line is kept: tail count, since), then its P records; its
 * start is known when the previous F of that stream, or the beginning of the chain, is reached.
 */
class LinePlanner {
  private readonly open = new Map<LogStreamName, number>(); // kept lines whose start is not known yet
  readonly earliest = new Map<LogStreamName, number>();
  readonly dropContinuation = new Set<LogStreamName>();
  private readonly seen = new Set<LogStreamName>();
  private kept = 0;
  private stopping = false;

  constructor(private readonly limits: ScanLimits) {}

  /** Returns true when nothing older can matter any more. */
  visit(head: CriHead, position: number): boolean {
    const s = head.stream;
    if (!this.limits.streams.has(s)) return false;
    const openStart = this.open.get(s);
    const lastOfStream = !this.seen.has(s);
    this.seen.add(s);
    if (head.partial && openStart !== undefined) {
      this.open.set(s, position); // an earlier piece of a kept line
      return false;
    }
    if (openStart !== undefined) {
      // This F ends the line before the open one: the open line starts right after it.
      this.earliest.set(s, openStart);
      this.open.delete(s);
    }
    if (this.stopping) {
      if (lastOfStream && head.partial) this.dropContinuation.add(s);
      return this.open.size === 0;
    }
    // A new line (its last record, or the unfinished end of the log): keep it or stop here.
    const { tail, sinceMs } = this.limits;
    const tooOld = sinceMs !== undefined && criTimeToMs(head.time) < sinceMs;
    if (tooOld || (tail !== undefined && this.kept >= tail)) {
      this.stopping = true;
      if (lastOfStream && head.partial) this.dropContinuation.add(s);
      return this.open.size === 0;
    }
    this.kept++;
    this.open.set(s, position);
    return false;
  }

  /** At the beginning of the chain: the open lines start at their earliest record seen. */
  finish(): void {
    for (const [s, start] of this.open) this.earliest.set(s, start);
    this.open.clear();
  }
}

/**
 * Visits the complete records of one file from last to first (a trailing record without its newline is still
 * being written and is skipped). Malformed records are skipped here; the forward reader counts them.
 * Returns true when the visitor asked to stop.
 */
async function scanBackward(file: ScanFile, visit: (head: CriHead, offset: number) => boolean): Promise<boolean> {
  const buf = Buffer.allocUnsafe(BACK_CHUNK + HEAD_BYTES);
  let hi = file.size;
  let recordEnd = -1; // newline that ends the record whose start is not found yet
  let lo = hi;
  let window: Buffer = buf.subarray(0, 0);
  const visitRecord = (start: number, end: number): boolean => {
    if (end <= start) return false;
    const headEnd = Math.min(end, start + HEAD_BYTES);
    const head = parseCriHead(window, start - lo, headEnd - lo);
    return head ? visit(head, start) : false;
  };
  while (hi > 0) {
    lo = Math.max(0, hi - BACK_CHUNK);
    const want = Math.min(file.size, hi + HEAD_BYTES) - lo;
    const bytesRead = await readAt(file.fd, buf, want, lo);
    window = buf.subarray(0, bytesRead);
    let searchFrom = Math.min(hi, lo + bytesRead) - 1 - lo;
    while (searchFrom >= 0) {
      const nl = window.lastIndexOf(0x0a, searchFrom);
      if (nl < 0) break;
      const p = lo + nl;
      if (recordEnd >= 0 && visitRecord(p + 1, recordEnd)) return true;
      recordEnd = p;
      searchFrom = nl - 1;
    }
    hi = lo;
  }
  // The first record of the file starts at 0; the last window read began at 0.
  return recordEnd >= 0 ? visitRecord(0, recordEnd) : false;
}
