// Reads a consistent snapshot of one container instance's log chain (rotated files, then the live file) with
// tail, since and stream selection, as batches of entries. Memory stays bounded: the start is found by a
// backward scan and the rest is read in chunks, a batch at a time, as the consumer asks for it.
import { planStart } from './backward-scan';
import type { LogStreamName } from './cri-format';
import { DEFAULT_MAX_LINE_BYTES, LineJoiner, type LogEntry } from './line-joiner';
import type { OpenLogFile } from './log-files';
import { decodeChunk, RecordReader, type DecodeContext, type LogReadStats } from './record-reader';

export interface LogFilter {
  /** Keep only the last N lines (of the selected streams). */
  tail?: number;
  /** Keep only lines newer than this many seconds (relative to `now`). */
  sinceSeconds?: number;
  /** Keep only lines at or after this time (ms since the epoch); wins over sinceSeconds. */
  sinceMs?: number;
  /** Streams to read; both when absent. */
  streams?: readonly LogStreamName[];
  /** Longest line kept whole; longer lines come as several entries with `partial` set. */
  maxLineBytes?: number;
  now?: () => number;
}

/** Where a snapshot read stopped in its newest file: a follower continues from here. */
export interface ReadPosition {
  file: OpenLogFile;
  offset: number;
}

export function decodeContext(filter: LogFilter, stats: LogReadStats): DecodeContext {
  const now = filter.now ?? Date.now;
  const sinceMs =
    filter.sinceMs ?? (filter.sinceSeconds !== undefined ? now() - Math.max(0, filter.sinceSeconds) * 1000 : undefined);
  return {
    joiner: new LineJoiner(filter.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES),
    streams: new Set(filter.streams ?? ['stdout', 'stderr']),
    sinceMs,
    base: 0,
    stats,
  };
}

/**
 * Yields entries from `files` (oldest first, as opened by `openLogChain`) up to their sizes at opening.
 * Returns where it stopped in the newest file. Lines still open at the end stay in `ctx.joiner` (a follower
 * completes them; a one-shot read flushes them). Does not close the files.
 */
export async function* readSnapshot(
  files: OpenLogFile[],
  ctx: DecodeContext,
  tail: number | undefined,
  signal?: AbortSignal,
): AsyncGenerator<LogEntry[], ReadPosition | undefined> {
  if (files.length === 0) return undefined;
  const plan = await planStart(files, { tail, sinceMs: ctx.sinceMs, streams: ctx.streams });
  ctx.startAt = plan.startAt;
  ctx.dropUntilFull = plan.dropContinuation;
  let base = 0;
  let reader: RecordReader | undefined;
  for (let i = 0; i < files.length; i++) {
    const file = files[i];
    const fileEnd = base + file.size;
    const last = i === files.length - 1;
    if (plan.start >= fileEnd && !last) {
      base = fileEnd;
      continue;
    }
    ctx.base = base;
    reader = new RecordReader(file.fd, Math.max(0, plan.start - base), ctx.stats);
    for (;;) {
      if (signal?.aborted) return undefined;
      const chunk = await reader.next(file.size);
      if (!chunk) break;
      const out: LogEntry[] = [];
      decodeChunk(chunk, ctx, out);
      if (out.length) yield out;
    }
    // Bytes left in an older file never end a record: that file is final, so they are damage.
    if (!last && reader.leftover(file.size)) ctx.stats.malformed++;
    base = fileEnd;
  }
  // Positions only mean something inside the snapshot; whatever is read after it is new.
  ctx.startAt = undefined;
  const newest = files[files.length - 1];
  return { file: newest, offset: reader ? reader.offset : newest.size };
}
