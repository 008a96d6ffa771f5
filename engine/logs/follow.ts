// Follows a container's log like `tail -F`: keeps reading as the live file grows, and moves on without losing or
// repeating a line when
//   - the file is rotated (renamed into the chain and a new live file created; or replaced by conmon's own
//     --log-size-max cut): the old file is read to its end, then the next file from its beginning;
//   - the file is truncated in place (copytruncate): reading restarts at its beginning;
//   - the container restarts: `currentPath` names the next instance's log, which is followed once the old
//     instance's chain is read to its end.
// New files are opened the moment fs.watch reports a rename in the directory, synchronously inside the event
// callback, so a follower that reads slower than the container writes (or whose consumer has stopped reading)
// still holds every file before a rotator can delete it: only its descriptors, no memory. Waiting uses fs.watch
// plus a bounded interval; nothing spins. Ends on abort, or when `isDone` says no more will be written and
// everything has been read.
import { dirname } from 'node:path';
import { ChangeWaiter } from './change-waiter';
import { closeFd, fdSize } from './fd-io';
import type { LogEntry } from './line-joiner';
import { openIfSame, sameFile, statLogChain, statOrUndefined, type LogFileInfo, type OpenLogFile } from './log-files';
import type { ReadPosition } from './reader';
import { decodeChunk, pushFiltered, RecordReader, type DecodeContext } from './record-reader';

export interface FollowOptions {
  /**
   * The live log path of the container's current instance, asked whenever the followed file has nothing new.
   * When it changes, the previous instance is taken as finished.
   */
  currentPath: () => string | Promise<string>;
  /** True when the container will write nothing more (terminated, no restart coming): the follow ends. */
  isDone?: () => boolean | Promise<boolean>;
  /** Longest wait between two looks at the files when fs.watch reports nothing. */
  pollMs?: number;
}

export const DEFAULT_FOLLOW_POLL_MS = 500;

/**
 * Yields entries appended to the chain of `path` after `from` (where a snapshot read stopped; absent: from
 * the beginning of the oldest file). Takes ownership of `from.file`.
 */
export async function* followLog(
  path: string,
  from: ReadPosition | undefined,
  ctx: DecodeContext,
  options: FollowOptions,
  signal: AbortSignal,
): AsyncGenerator<LogEntry[]> {
  const tracker = new ChainTracker(path, from?.file);
  const waiter = new ChangeWaiter(
    dirname(path),
    Math.max(10, options.pollMs ?? DEFAULT_FOLLOW_POLL_MS),
    () => true,
    (type) => {
      if (type === 'rename') tracker.discoverQuietly();
    },
  );
  let reader = from ? new RecordReader(from.file.fd, from.offset, ctx.stats) : undefined;
  let finalPass = false;
  try {
    while (!signal.aborted) {
      let progressed = false;

      if (!reader) {
        tracker.discover();
        const first = tracker.advance();
        if (first) {
          reader = new RecordReader(first.fd, 0, ctx.stats);
          progressed = true;
        }
      }

      const current = tracker.current;
      if (current && reader) {
        if (await reader.rewritten(await fdSize(current.fd))) {
          // Truncated in place: what was not read yet is gone; start over at the new beginning.
          ctx.stats.truncations++;
          ctx.joiner.reset();
          reader = new RecordReader(current.fd, 0, ctx.stats);
        }
        const step = await readAvailable(reader, ctx);
        if (step.consumed) progressed = true;
        for (const batch of step.batches) yield batch;
        if (signal.aborted) break;
        tracker.discover(); // events can be missed: look on every round too
        if (tracker.hasNext()) {
          // A newer file exists, so the writer has left this one: read what it still holds, then move on.
          yield* drain(reader, ctx);
          if (reader.leftover(await fdSize(current.fd))) ctx.stats.malformed++;
          const next = tracker.advance()!;
          reader = new RecordReader(next.fd, 0, ctx.stats);
          continue;
        }
      }

      const livePath = await options.currentPath();
      if (livePath !== tracker.path) {
        // The container restarted: its previous instance wrote everything it will write.
        if (reader) yield* drain(reader, ctx);
        const rest: LogEntry[] = [];
        for (const e of ctx.joiner.flush()) pushFiltered(e, ctx, rest);
        if (rest.length) yield rest;
        await tracker.retarget(livePath);
        reader = undefined;
        waiter.retarget(dirname(livePath));
        continue;
      }

      if (progressed) continue;
      if (finalPass) break;
      if (options.isDone && (await options.isDone())) {
        finalPass = true; // one more look: the last writes may have landed after the read above
        continue;
      }
      await waiter.wait(signal);
    }
    if (finalPass && !signal.aborted) {
      const rest: LogEntry[] = [];
      for (const e of ctx.joiner.flush()) pushFiltered(e, ctx, rest);
      if (rest.length) yield rest;
    }
  } finally {
    // Closed only here, when no read is in flight (see fd-io.ts).
    waiter.close();
    await tracker.close();
  }
}

/**
 * The file being read and the newer files of its chain, opened in order as soon as they are seen. Synchronous
 * (see log-files.ts) so that discovery from an fs.watch callback and from the read loop never interleave.
 */
class ChainTracker {
  current: OpenLogFile | undefined;
  private readonly queue: OpenLogFile[] = [];

  constructor(
    public path: string,
    current: OpenLogFile | undefined,
  ) {
    this.current = current;
  }

  hasNext(): boolean {
    return this.queue.length > 0;
  }

  /** Closes the current file and makes the next one current. */
  advance(): OpenLogFile | undefined {
    const next = this.queue.shift();
    if (!next) return undefined;
    if (this.current) void closeFd(this.current.fd);
    this.current = next;
    return next;
  }

  /** Opens the files newer than the newest one known (all of the chain when none is known yet). */
  discover(): void {
    const newest = this.queue.length ? this.queue[this.queue.length - 1] : this.current;
    if (newest && this.queue.length === 0) {
      const live = statOrUndefined(this.path);
      if (live && sameFile(live, newest)) return; // still the live file: nothing newer (the common, cheap case)
    }
    const chain = stableChain(this.path);
    for (const info of newest ? newerThan(newest, chain) : chain) {
      const opened = openIfSame(info);
      if (!opened) return; // renamed meanwhile: the next look lists again (order matters, so do not skip it)
      this.queue.push(opened);
    }
  }

  /** discover() from an event callback: an error there has nobody to go to; the read loop's next look reports it. */
  discoverQuietly(): void {
    try {
      this.discover();
    } catch {
      // the loop calls discover() itself and will meet the same error
    }
  }

  /** Follows another chain from its beginning (a new container instance); the old one must be read to its end. */
  async retarget(path: string): Promise<void> {
    await this.close();
    this.path = path;
  }

  async close(): Promise<void> {
    const files = [...(this.current ? [this.current] : []), ...this.queue.splice(0)];
    this.current = undefined;
    await Promise.all(files.map((f) => closeFd(f.fd)));
  }
}

/** Files of `chain` that come after `file`. */
function newerThan(file: LogFileInfo, chain: LogFileInfo[]): LogFileInfo[] {
  const at = chain.findIndex((f) => sameFile(f, file));
  if (at >= 0) return chain.slice(at + 1);
  // No longer named: deleted because the follower fell further behind than the kept files, or replaced without
  // a rename (conmon's --log-size-max). The files created after it follow; without birth times, only the live
  // file (skipping is better than printing old lines twice).
  if (file.birth > 0n) return chain.filter((f) => f.birth > file.birth).sort((a, b) => (a.birth < b.birth ? -1 : 1));
  return chain.slice(-1);
}

/** Lists the chain until two listings agree, so a rename cascade by another process is not half seen. */
function stableChain(path: string): LogFileInfo[] {
  let previous = statLogChain(path);
  for (let i = 0; i < 5; i++) {
    const now = statLogChain(path);
    if (now.length === previous.length && now.every((f, j) => sameFile(f, previous[j]))) return now;
    previous = now;
  }
  return previous;
}

/**
 * Reads what is complete after the reader's offset, at most a few chunks (so a fast writer cannot keep this
 * going forever, and the caller looks at rotations in between): one batch per chunk that had entries.
 */
async function readAvailable(
  reader: RecordReader,
  ctx: DecodeContext,
): Promise<{ batches: LogEntry[][]; consumed: boolean; atEnd: boolean }> {
  const batches: LogEntry[][] = [];
  const start = reader.offset;
  for (let i = 0; i < 4; i++) {
    const chunk = await reader.next();
    if (!chunk) return { batches, consumed: reader.offset !== start, atEnd: true };
    const out: LogEntry[] = [];
    decodeChunk(chunk, ctx, out);
    if (out.length) batches.push(out);
  }
  return { batches, consumed: true, atEnd: false };
}

/** Reads a file the writer has left to its end. */
async function* drain(reader: RecordReader, ctx: DecodeContext): AsyncGenerator<LogEntry[]> {
  for (;;) {
    const step = await readAvailable(reader, ctx);
    yield* step.batches;
    if (step.atEnd) return;
  }
}
