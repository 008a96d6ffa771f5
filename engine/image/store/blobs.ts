// The blob half of the store: BlobSink for the registry client, plus reads for everyone else.
import { createHash, randomBytes } from 'node:crypto';
import { open, readdir, readFile, rename, stat, unlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { ImageError, type BlobSink, type BlobWriter, type Digest } from '../types';
import { digestHex, isDigest, sha256Digest } from './digest';
import { openIngestWriter } from './ingest-writer';
import type { StoreLease } from './lease';
import type { StorePaths } from './paths';

export interface BlobStore extends BlobSink {
  /** Where the blob lives (whether or not it exists). */
  path(d: Digest): string;
  /** Its size, or undefined when absent. */
  size(d: Digest): Promise<number | undefined>;
  /** Reads a small blob whole, refusing more than `maxBytes` and re-checking its digest. */
  readBytes(d: Digest, maxBytes: number): Promise<Buffer>;
  /** readBytes + JSON.parse (ImageError INVALID_JSON). */
  readJson<T = unknown>(d: Digest, maxBytes: number): Promise<T>;
  /** Stores bytes we made ourselves (converted manifests). */
  putBytes(data: Uint8Array): Promise<Digest>;
  /** Stores a stream whose digest is not known in advance (docker-archive layers), at most `maxBytes`. */
  importStream(source: AsyncIterable<Uint8Array>, maxBytes: number): Promise<{ digest: Digest; size: number }>;
  list(): Promise<Digest[]>;
}

export function createBlobStore(paths: StorePaths, lease: StoreLease): BlobStore {
  const blobs: BlobStore = {
    path: (d) => paths.blob(d),

    async has(d) {
      const p = paths.blob(d);
      if (!(await stat(p).catch(() => undefined))) return false;
      // A caller that skips a download because the blob is here relies on it staying: refresh its mtime under
      // the lease so prune's grace period covers it until the image is tagged.
      return lease.run(async () => {
        const now = new Date();
        return utimes(p, now, now).then(
          () => true,
          () => false,
        );
      });
    },

    async writer(d, expectedSize): Promise<BlobWriter> {
      digestHex(d);
      if (!Number.isSafeInteger(expectedSize) || expectedSize < 0) throw new ImageError(`invalid expected size ${expectedSize} for ${d}`, 'INVALID_SIZE');
      return openIngestWriter(paths, lease, d, expectedSize);
    },

    async size(d) {
      const st = await stat(paths.blob(d)).catch(() => undefined);
      return st?.size;
    },

    async readBytes(d, maxBytes) {
      const p = paths.blob(d);
      const st = await stat(p).catch(() => undefined);
      if (!st) throw new ImageError(`blob ${d} is not in the image store`, 'NOT_FOUND');
      if (st.size > maxBytes) throw new ImageError(`blob ${d} is ${st.size} bytes; the limit is ${maxBytes}`, 'TOO_LARGE');
      const data = await readFile(p);
      if (sha256Digest(data) !== d) throw new ImageError(`blob ${d} is corrupted in the image store (digest differs)`, 'DIGEST_MISMATCH');
      return data;
    },

    async readJson<T>(d: Digest, maxBytes: number): Promise<T> {
      const data = await blobs.readBytes(d, maxBytes);
      try {
        return JSON.parse(data.toString('utf8')) as T;
      } catch (err) {
        throw new ImageError(`blob ${d} is not valid JSON: ${(err as Error).message}`, 'INVALID_JSON');
      }
    },

    async putBytes(data) {
      const d = sha256Digest(data);
      await lease.run(async () => {
        const tmp = join(paths.tmp, randomBytes(8).toString('hex'));
        const fh = await open(tmp, 'wx', 0o644);
        try {
          await fh.writeFile(data);
          await fh.datasync();
        } finally {
          await fh.close();
        }
        await rename(tmp, paths.blob(d)).catch(async (err) => {
          await unlink(tmp).catch(() => {});
          throw err;
        });
      });
      return d;
    },

    importStream(source, maxBytes) {
      return lease.run(async () => {
        const tmp = join(paths.tmp, randomBytes(8).toString('hex'));
        const fh = await open(tmp, 'wx', 0o644);
        const hash = createHash('sha256');
        let size = 0;
        try {
          for await (const chunk of source) {
            size += chunk.length;
            if (size > maxBytes) throw new ImageError(`blob is larger than the limit of ${maxBytes} bytes`, 'TOO_LARGE');
            hash.update(chunk);
            let off = 0;
            while (off < chunk.length) off += (await fh.write(chunk, off, chunk.length - off)).bytesWritten;
          }
          await fh.datasync();
          await fh.close();
          const digest = 'sha256:' + hash.digest('hex');
          await rename(tmp, paths.blob(digest));
          return { digest, size };
        } catch (err) {
          await fh.close().catch(() => {});
          await unlink(tmp).catch(() => {});
          throw err;
        }
      });
    },

    async list() {
      const names = await readdir(paths.blobs).catch(() => [] as string[]);
      return names.map((n) => 'sha256:' + n).filter(isDigest);
    },
  };
  return blobs;
}
