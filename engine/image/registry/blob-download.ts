// Streams a blob from a registry into the store. Never accepts more bytes than the descriptor declares, verifies
// SHA-256 (here when we saw every byte, and again in the store's commit), and on a dropped connection or stall
// retries with `Range: bytes=N-` so the bytes already written are kept (a 200 instead of 206 restarts cleanly).
import { createHash, type Hash } from 'node:crypto';
import { ImageError, type BlobSink, type BlobWriter, type Descriptor, type PullProgress } from '../types';
import type { RegistryClient } from './client';
import { networkError, RetryableError } from './errors';
import { readBody } from './http';

export interface BlobDownload {
  client: RegistryClient;
  repository: string;
  descriptor: Descriptor;
  sink: BlobSink;
  /** Largest size accepted for this kind of blob. */
  limit: number;
  onProgress?: (e: PullProgress) => void;
}

/** Reports progress about every 1% (and at least every 256 KiB) instead of every chunk. */
function progressStep(size: number): number {
  return Math.min(256 * 1024, Math.max(64 * 1024, Math.floor(size / 100)));
}

function parseContentRange(v: string | undefined): { start: number; total?: number } | undefined {
  const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec((v ?? '').trim());
  if (!m) return undefined;
  return { start: Number(m[1]), ...(m[3] !== '*' ? { total: Number(m[3]) } : {}) };
}

export async function downloadBlob(o: BlobDownload, fresh = false): Promise<{ cached: boolean }> {
  const { digest, size, mediaType } = o.descriptor;
  const what = `blob ${digest}`;
  if (size > o.limit) throw new ImageError(`${what} is ${size} bytes; the limit is ${o.limit}`, 'TOO_LARGE');
  if (await o.sink.has(digest)) {
    o.onProgress?.({ type: 'blob-done', digest, cached: true });
    return { cached: true };
  }
  o.onProgress?.({ type: 'blob-start', digest, size, mediaType });
  let writer: BlobWriter = await o.sink.writer(digest, size);
  let written = writer.offset;
  // Hash here only when we see every byte; a resumed partial from an earlier pull is verified by commit().
  let hash: Hash | undefined = written === 0 ? createHash('sha256') : undefined;
  const step = progressStep(size);
  let reported = written;
  if (written > 0) o.onProgress?.({ type: 'blob-progress', digest, bytes: written, size });
  /** Set when the bytes written so far are known bad, so no partial is kept. */
  let badBytes = false;

  try {
    await o.client.retrying(
      async () => {
        if (written === size && size > 0) return;
        const res = await o.client.blob(o.repository, digest, written, what);
        if (res.status === 206) {
          const range = parseContentRange(res.headers['content-range'] as string | undefined);
          if (!range || range.start !== written || (range.total !== undefined && range.total !== size)) {
            res.body.destroy();
            badBytes = true;
            throw new ImageError(`${what}: the registry answered a resume from byte ${written} with range "${res.headers['content-range'] ?? ''}"`, 'REGISTRY_ERROR');
          }
        } else if (written > 0) {
          // The server ignored the Range header and sends the whole blob: start over.
          await writer.abort(false);
          writer = await o.sink.writer(digest, size);
          written = writer.offset;
          hash = written === 0 ? createHash('sha256') : undefined;
          if (written > 0) {
            res.body.destroy();
            throw new RetryableError(`${what}: store kept a partial blob while restarting`, 'NETWORK');
          }
        }
        const declared = Number(res.headers['content-length']);
        if (Number.isFinite(declared) && written + declared > size) {
          res.body.destroy();
          badBytes = true;
          throw new ImageError(`${what}: the registry announced ${written + declared} bytes but the manifest says ${size}`, 'TOO_LARGE');
        }
        try {
          for await (const chunk of res.body as AsyncIterable<Buffer>) {
            if (written + chunk.length > size) {
              res.body.destroy();
              badBytes = true;
              throw new ImageError(`${what}: the registry sent more than the ${size} bytes the manifest declares`, 'TOO_LARGE');
            }
            await writer.write(chunk);
            hash?.update(chunk);
            written += chunk.length;
            if (written - reported >= step || written === size) {
              reported = written;
              o.onProgress?.({ type: 'blob-progress', digest, bytes: written, size });
            }
          }
        } catch (err) {
          throw networkError(err, res.url.host);
        }
        if (written < size) throw new RetryableError(`${what}: the connection closed after ${written} of ${size} bytes`, 'NETWORK');
      },
      (attempt, reason) => o.onProgress?.({ type: 'retry', digest, attempt, reason }),
    );
    if (hash) {
      const got = 'sha256:' + hash.digest('hex');
      if (got !== digest) {
        badBytes = true;
        throw new ImageError(`${what}: downloaded content has digest ${got}; the blob is corrupt or was tampered with`, 'DIGEST_MISMATCH');
      }
    }
    try {
      await writer.commit();
    } catch (err) {
      // The writer has already discarded the data. A partial kept from an earlier pull may have been the bad
      // part: download once more from the start.
      if (err instanceof ImageError && err.code === 'DIGEST_MISMATCH' && !hash && !fresh) {
        o.onProgress?.({ type: 'retry', digest, attempt: 2, reason: 'the resumed download did not verify; starting over' });
        return downloadBlob(o, true);
      }
      if (err instanceof ImageError) throw err;
      throw new ImageError(`${what}: storing failed: ${(err as Error).message}`, 'STORE_ERROR');
    }
  } catch (err) {
    // Keep a partial download for the next pull unless its bytes are known bad.
    await writer.abort(!badBytes).catch(() => undefined);
    throw err;
  }
  o.onProgress?.({ type: 'blob-done', digest, cached: false });
  return { cached: false };
}

/** Downloads a small blob (an image config) into memory, bounded and verified. */
export async function fetchSmallBlob(client: RegistryClient, repository: string, desc: Descriptor, limit: number): Promise<Buffer> {
  const what = `blob ${desc.digest}`;
  if (desc.size > limit) throw new ImageError(`${what} is ${desc.size} bytes; the limit is ${limit}`, 'TOO_LARGE');
  const bytes = await client.retrying(async () => readBody(await client.blob(repository, desc.digest, 0, what), Math.min(limit, desc.size), what));
  const got = 'sha256:' + createHash('sha256').update(bytes).digest('hex');
  if (got !== desc.digest || bytes.length !== desc.size) {
    throw new ImageError(`${what}: downloaded content has digest ${got} (${bytes.length} bytes); expected ${desc.digest} (${desc.size} bytes)`, 'DIGEST_MISMATCH');
  }
  return bytes;
}

/** Stores bytes we already hold and verified (manifests, configs) under their digest, if not present. */
export async function storeBytes(sink: BlobSink, digest: string, bytes: Buffer): Promise<void> {
  if (await sink.has(digest)) return;
  let w = await sink.writer(digest, bytes.length);
  if (w.offset > 0) {
    await w.abort(false);
    w = await sink.writer(digest, bytes.length);
  }
  try {
    await w.write(bytes.subarray(w.offset));
    await w.commit();
  } catch (err) {
    await w.abort(false).catch(() => undefined);
    throw err;
  }
}
