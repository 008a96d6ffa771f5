// Turns a generator of entry batches into a Node Readable with backpressure: the generator only runs when the
// consumer wants more, so a 1 GB log streams through a bounded buffer. Abort (or destroy) ends the generator at
// once, closing its files and watchers, even when the consumer has stopped reading.
import { Readable } from 'node:stream';
import type { LogEntry } from './line-joiner';

/**
 * `text`: UTF-8 bytes, one line per entry ending in `\n` (none after a `partial` entry, whose line goes on in the
 * next), prefixed by the timestamp and a space when `timestamps` is on: what `podsmith logs` prints.
 * `entries`: object mode, one `LogEntry` per line (the timestamp is always in the entry), for the daemon to
 * forward or for a client that separates stdout from stderr.
 */
export type LogOutput = 'text' | 'entries';

export function renderText(entries: readonly LogEntry[], timestamps: boolean): string {
  let s = '';
  for (const e of entries) {
    if (timestamps) s += e.time + ' ';
    s += e.line;
    if (!e.partial) s += '\n';
  }
  return s;
}

class LogReadable extends Readable {
  private pumping = false;
  private finished = false;

  constructor(
    private readonly source: AsyncGenerator<LogEntry[], unknown>,
    private readonly output: LogOutput,
    private readonly timestamps: boolean,
    private readonly controller: AbortController,
  ) {
    super({ objectMode: output === 'entries', highWaterMark: output === 'entries' ? 1024 : 256 * 1024 });
  }

  override _read(): void {
    if (!this.pumping && !this.finished) void this.pump();
  }

  /** Called on abort: stops the source now rather than when the consumer next reads. */
  stop(): void {
    this.controller.abort();
    if (this.pumping) return; // the running step sees the abort and finishes the source itself
    void this.source.return(undefined).finally(() => this.end());
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.controller.abort();
    this.finished = true;
    this.source.return(undefined).then(
      () => callback(err),
      (e: Error) => callback(err ?? e),
    );
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      for (;;) {
        const r = await this.source.next();
        if (r.done) {
          this.end();
          return;
        }
        const more = this.pushBatch(r.value);
        if (this.controller.signal.aborted) {
          // Aborted while this batch was read: finish the source now, whether or not the consumer reads on.
          await this.source.return(undefined);
          this.end();
          return;
        }
        if (!more) return;
      }
    } catch (err) {
      // Reads failing because an abort closed the files are the end, not an error.
      if (this.controller.signal.aborted) this.end();
      else this.destroy(err as Error);
    } finally {
      this.pumping = false;
    }
  }

  private pushBatch(batch: LogEntry[]): boolean {
    if (this.output === 'text') return this.push(renderText(batch, this.timestamps));
    let more = true;
    for (const e of batch) more = this.push(e);
    return more;
  }

  private end(): void {
    if (this.finished) return;
    this.finished = true;
    this.push(null);
  }
}

/** Wraps `source`; aborting `signal` ends the stream cleanly (an `end` after what was already read). */
export function logReadable(
  source: AsyncGenerator<LogEntry[], unknown>,
  output: LogOutput,
  timestamps: boolean,
  controller: AbortController,
  signal?: AbortSignal,
): Readable {
  const stream = new LogReadable(source, output, timestamps, controller);
  if (signal) {
    if (signal.aborted) stream.stop();
    else {
      const onAbort = (): void => stream.stop();
      signal.addEventListener('abort', onAbort, { once: true });
      stream.once('close', () => signal.removeEventListener('abort', onAbort));
    }
  }
  return stream;
}
