// Drives tar-stream's parser from an async byte source and hands each entry to `onEntry` in order. Entries
// must be consumed by onEntry (or they are drained for it); the first error, from the source, the parser or
// onEntry, stops everything, and is rethrown with the name of the entry being read at the time.
import * as tar from 'tar-stream';

export class TarReadError extends Error {
  constructor(
    readonly original: unknown,
    /** The entry being read (undefined between entries). */
    readonly entry: string | undefined,
    /** Whether it came from the byte source (decompression, limits) rather than the parser or onEntry. */
    readonly fromSource: boolean,
  ) {
    super((original as Error)?.message ?? String(original));
  }
}

function writable(extract: tar.Extract): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      extract.off('drain', done);
      extract.off('close', done);
      resolve();
    };
    extract.on('drain', done);
    extract.on('close', done);
  });
}

export async function forEachTarEntry(source: AsyncIterable<Uint8Array>, onEntry: (header: tar.Header, body: AsyncIterable<Uint8Array>) => Promise<void>): Promise<void> {
  const extract = tar.extract();
  let stopped = false;
  let sourceError: unknown;
  const feed = (async () => {
    try {
      for await (const chunk of source) {
        if (stopped || extract.destroyed) break;
        if (!extract.write(chunk)) await writable(extract);
      }
      if (!stopped && !extract.destroyed) extract.end(undefined);
    } catch (err) {
      sourceError = err;
      extract.destroy(err as Error);
    }
  })();

  let current: string | undefined;
  try {
    for await (const entry of extract) {
      current = entry.header.name;
      await onEntry(entry.header, entry as AsyncIterable<Uint8Array>);
      for await (const _ of entry) {
        // whatever onEntry left unread
      }
      current = undefined;
    }
  } catch (err) {
    stopped = true;
    extract.destroy(err as Error);
    await feed;
    throw new TarReadError(sourceError ?? err, current, sourceError !== undefined);
  }
  await feed;
  if (sourceError !== undefined) throw new TarReadError(sourceError, current, true);
}
