// BlobWriter over `ingest/<hex>`: the partial file is named by the digest it should become, so an interrupted
// download is found again (and re-hashed) by the next writer of that digest. Only one writer per digest at a
// time: the ingest lock is held from writer() to commit()/abort(), across processes.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, open, rename, stat, truncate, unlink, utimes, type FileHandle } from 'node:fs/promises';
import { ImageError, type BlobWriter, type Digest } from '../types';
import { acquireLock, type HeldLock } from './lock';
import type { StoreLease } from './lease';
import type { StorePaths } from './paths';

async function hashFile(path: string, hash: Hash): Promise<void> {
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
}

async function writeAll(fh: FileHandle, chunk: Uint8Array): Promise<void> {
  let off = 0;
  while (off < chunk.length) {
    const { bytesWritten } = await fh.write(chunk, off, chunk.length - off);
    off += bytesWritten;
  }
}

/** Opens a writer for `digest`, resuming a kept partial; waits while another writer of the same digest runs. */
export async function openIngestWriter(paths: StorePaths, lease: StoreLease, digest: Digest, expectedSize: number): Promise<BlobWriter> {
  const blobPath = paths.blob(digest);
  const lock = await acquireLock(paths.ingestLock(digest), 'exclusive');
  try {
    // Another writer may have committed it while we waited: share its result.
    const existing = await stat(blobPath).catch(() => undefined);
    if (existing) {
      if (existing.size !== expectedSize) {
        throw new ImageError(`blob ${digest} is stored with ${existing.size} bytes, but ${expectedSize} were expected`, 'SIZE_MISMATCH');
      }
      await lock.unlinkAndRelease();
      return completeWriter(lease, digest, blobPath, expectedSize);
    }
    const partialPath = paths.partial(digest);
    const partial = await stat(partialPath).catch(() => undefined);
    if (partial && partial.size > expectedSize) await truncate(partialPath, 0);
    const hash = createHash('sha256');
    let offset = 0;
    if (partial && partial.size <= expectedSize && partial.size > 0) {
      await hashFile(partialPath, hash);
      offset = partial.size;
    }
    const fh = await open(partialPath, 'a', 0o600);
    return new IngestWriter(lease, lock, fh, hash, digest, expectedSize, offset, partialPath, blobPath);
  } catch (err) {
    await lock.release();
    throw err;
  }
}

/** The blob is already there: nothing to write, commit only refreshes it for prune's grace period. */
function completeWriter(lease: StoreLease, digest: Digest, blobPath: string, size: number): BlobWriter {
  return {
    digest,
    offset: size,
    async write(chunk) {
      if (chunk.length > 0) throw new ImageError(`blob ${digest} is complete (offset ${size}); no more bytes are expected`, 'TOO_LARGE');
    },
    async commit() {
      await lease.run(async () => {
        const now = new Date();
        await utimes(blobPath, now, now);
      });
    },
    async abort() {},
  };
}

class IngestWriter implements BlobWriter {
  private written: number;
  private state: 'open' | 'closed' = 'open';

  constructor(
    private readonly lease: StoreLease,
    private readonly lock: HeldLock,
    private readonly fh: FileHandle,
    private readonly hash: Hash,
    readonly digest: Digest,
    private readonly expectedSize: number,
    readonly offset: number,
    private readonly partialPath: string,
    private readonly blobPath: string,
  ) {
    this.written = offset;
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.state !== 'open') throw new ImageError(`writer for ${this.digest} is closed`, 'WRITER_CLOSED');
    if (this.written + chunk.length > this.expectedSize) {
      throw new ImageError(`blob ${this.digest} is larger than the expected ${this.expectedSize} bytes`, 'TOO_LARGE');
    }
    await writeAll(this.fh, chunk);
    this.hash.update(chunk);
    this.written += chunk.length;
  }

  async commit(): Promise<void> {
    if (this.state !== 'open') throw new ImageError(`writer for ${this.digest} is closed`, 'WRITER_CLOSED');
    this.state = 'closed';
    if (this.written !== this.expectedSize) {
      await this.discard();
      throw new ImageError(`blob ${this.digest} has ${this.written} bytes, but ${this.expectedSize} were expected`, 'SIZE_MISMATCH');
    }
    const actual = 'sha256:' + this.hash.digest('hex');
    if (actual !== this.digest) {
      await this.discard();
      throw new ImageError(`blob content has digest ${actual}, not the expected ${this.digest}`, 'DIGEST_MISMATCH');
    }
    try {
      // Flushed before the rename, so a crash can never leave a short file under the digest's name.
      await this.fh.datasync();
      await this.fh.close();
      await chmod(this.partialPath, 0o644);
      await this.lease.run(() => rename(this.partialPath, this.blobPath));
    } catch (err) {
      await this.discard();
      throw err;
    }
    await this.lock.unlinkAndRelease();
  }

  async abort(keepPartial = false): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'closed';
    if (keepPartial) {
      await this.fh.datasync().catch(() => {});
      await this.fh.close().catch(() => {});
      await this.lock.unlinkAndRelease();
    } else {
      await this.discard();
    }
  }

  private async discard(): Promise<void> {
    await this.fh.close().catch(() => {});
    await unlink(this.partialPath).catch(() => {});
    await this.lock.unlinkAndRelease();
  }
}
