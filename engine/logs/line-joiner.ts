// Joins P records into lines. Streams are joined separately: conmon reads stdout and stderr on their own
// pipes, so a stdout P can be followed by a stderr F before the stdout F arrives.
import type { CriRecord, LogStreamName } from './cri-format';

/** One decoded log line, as the log readers emit it. */
export interface LogEntry {
  /** Timestamp of the record that completed the line (RFC3339Nano, as written in the file). */
  time: string;
  stream: LogStreamName;
  /** The line without its newline. */
  line: string;
  /**
   * Set when this is not a whole line: an over-long line cut at `maxLineBytes`, or a line still being written
   * when a non-following read ended. The next entry of the same stream continues it.
   */
  partial?: true;
}

export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;

export class LineJoiner {
  private readonly pending = new Map<LogStreamName, { parts: string[]; bytes: number; time: string }>();

  // The cap bounds memory when a program writes gigabytes without a newline.
  constructor(private readonly maxLineBytes = DEFAULT_MAX_LINE_BYTES) {}

  /** Feeds one record; returns the entry it completes, if any. */
  push(record: CriRecord): LogEntry | undefined {
    const open = this.pending.get(record.stream);
    if (!record.partial) {
      if (!open) return { time: record.time, stream: record.stream, line: record.content };
      this.pending.delete(record.stream);
      open.parts.push(record.content);
      return { time: record.time, stream: record.stream, line: open.parts.join('') };
    }
    const bytes = record.content.length; // UTF-16 units: close enough for a memory bound
    if (!open) {
      this.pending.set(record.stream, { parts: [record.content], bytes, time: record.time });
      return undefined;
    }
    open.parts.push(record.content);
    open.bytes += bytes;
    open.time = record.time;
    if (open.bytes < this.maxLineBytes) return undefined;
    this.pending.delete(record.stream);
    return { time: record.time, stream: record.stream, line: open.parts.join(''), partial: true };
  }

  /** Emits what is pending (lines without their end yet) as partial entries and forgets them. */
  flush(): LogEntry[] {
    const out: LogEntry[] = [];
    for (const [stream, open] of this.pending) {
      out.push({ time: open.time, stream, line: open.parts.join(''), partial: true });
    }
    this.pending.clear();
    return out;
  }

  /** Drops pending fragments (after a truncation their beginnings are gone for good). */
  reset(): void {
    this.pending.clear();
  }
}
