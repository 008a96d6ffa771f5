// Reads CRI records forwards from one file in fixed-size chunks (memory stays bounded whatever the file size)
// and decodes them into entries.
import { criTimeToMs, parseCriRecord, type LogStreamName } from './cri-format';
import { readAt } from './fd-io';
import type { LineJoiner, LogEntry } from './line-joiner';

export const CHUNK_BYTES = 256 * 1024;

/** Counters a read reports instead of throwing. */
export interface LogReadStats {
  /** Records that were not CRI lines (skipped). */
  malformed: number;
  /** Times the followed file shrank under the reader (copytruncate); reading restarted at its beginning. */
  truncations: number;
}

export function newStats(): LogReadStats {
  return { malformed: 0, truncations: 0 };
}

/** Records found in one chunk: `buf[starts[i], ends[i])`, at file offset `fileOffset + starts[i]`. */
export interface RecordChunk {
  buf: Buffer;
  starts: number[];
  ends: number[];
  fileOffset: number;
}

// Bytes before the offset remembered to notice a file truncated and written again past the offset.
const TAIL_CHECK_BYTES = 64;

export class RecordReader {
  /** File offset of the first byte not yet consumed (always the start of a record). */
  offset: number;
  private skipping = false;
  private readonly scratch: Buffer;
  private lastBytes: Buffer = Buffer.alloc(0);

  constructor(
    readonly fd: number,
    offset: number,
    private readonly stats: LogReadStats,
    chunkBytes = CHUNK_BYTES,
  ) {
    this.offset = offset;
    this.scratch = Buffer.allocUnsafe(chunkBytes);
  }

  /**
   * Reads the complete records between `offset` and `limit` that fit one chunk. Undefined when there is nothing
   * complete to read (end of file, or only the beginning of a record still being written).
   */
  async next(limit = Number.POSITIVE_INFINITY): Promise<RecordChunk | undefined> {
    for (;;) {
      const want = Math.min(this.scratch.length, limit - this.offset);
      if (want <= 0) return undefined;
      const bytesRead = await readAt(this.fd, this.scratch, want, this.offset);
      if (bytesRead === 0) return undefined;
      const buf = this.scratch.subarray(0, bytesRead);
      let pos = 0;
      if (this.skipping) {
        // The tail of an over-long record: drop it up to its newline.
        const nl = buf.indexOf(0x0a);
        if (nl < 0) {
          this.offset += bytesRead;
          continue;
        }
        this.skipping = false;
        pos = nl + 1;
      }
      const starts: number[] = [];
      const ends: number[] = [];
      for (;;) {
        const nl = buf.indexOf(0x0a, pos);
        if (nl < 0) break;
        starts.push(pos);
        ends.push(nl);
        pos = nl + 1;
      }
      const fileOffset = this.offset;
      if (pos > 0) this.lastBytes = Buffer.from(buf.subarray(Math.max(0, pos - TAIL_CHECK_BYTES), pos));
      if (starts.length === 0 && pos === 0 && bytesRead === this.scratch.length) {
        // A record longer than a whole chunk is not something conmon writes: count it and skip it.
        this.stats.malformed++;
        this.skipping = true;
        this.offset += bytesRead;
        continue;
      }
      this.offset += pos;
      if (starts.length === 0) {
        if (pos > 0) continue; // only the end of a skipped record was in this chunk
        return undefined;
      }
      return { buf, starts, ends, fileOffset };
    }
  }

  /**
   * Whether the file no longer holds what was read before the offset: truncated (copytruncate), perhaps already
   * written again past the offset, which a size comparison alone cannot see.
   */
  async rewritten(size: number): Promise<boolean> {
    if (size < this.offset) return true;
    const n = this.lastBytes.length;
    if (n === 0 || this.offset < n) return false;
    const now = Buffer.allocUnsafe(n);
    const bytesRead = await readAt(this.fd, now, n, this.offset - n);
    return bytesRead !== n || !now.equals(this.lastBytes);
  }

  /** Whether bytes remain before `size` that never became a complete record (garbage at a final file's end). */
  leftover(size: number): boolean {
    return this.skipping || this.offset < size;
  }
}

/** How decoded records become entries: stream selection, time filter, per-stream start positions. */
export interface DecodeContext {
  joiner: LineJoiner;
  streams: ReadonlySet<LogStreamName>;
  /** Entries older than this (ms since the epoch) are dropped. */
  sinceMs?: number;
  /**
   * Records of a stream before this global position are skipped (they belong to lines the tail/since scan
   * left out). Global position = `base` + file offset. Absent stream: no records of it are skipped.
   */
  startAt?: ReadonlyMap<LogStreamName, number>;
  base: number;
  /** Streams whose next records continue a line that is not printed: dropped up to that line's F record. */
  dropUntilFull?: Set<LogStreamName>;
  stats: LogReadStats;
}

export function decodeChunk(chunk: RecordChunk, ctx: DecodeContext, out: LogEntry[]): void {
  const { buf, starts, ends } = chunk;
  for (let i = 0; i < starts.length; i++) {
    const record = parseCriRecord(buf, starts[i], ends[i]);
    if (!record) {
      if (ends[i] > starts[i]) ctx.stats.malformed++; // a blank line is noise, not damage
      continue;
    }
    if (!ctx.streams.has(record.stream)) continue;
    if (ctx.startAt) {
      const from = ctx.startAt.get(record.stream);
      if (from !== undefined && ctx.base + chunk.fileOffset + starts[i] < from) continue;
    }
    if (ctx.dropUntilFull?.has(record.stream)) {
      if (!record.partial) ctx.dropUntilFull.delete(record.stream);
      continue;
    }
    const entry = ctx.joiner.push(record);
    if (entry) pushFiltered(entry, ctx, out);
  }
}

export function pushFiltered(entry: LogEntry, ctx: Pick<DecodeContext, 'sinceMs'>, out: LogEntry[]): void {
  if (ctx.sinceMs !== undefined && criTimeToMs(entry.time) < ctx.sinceMs) return;
  out.push(entry);
}
