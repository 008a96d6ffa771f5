// Mark and sweep. Prune holds the store lock exclusively, so no blob commit, tag, unpack or rootfs assembly runs
// meanwhile (they hold it shared). What it keeps:
//   - everything reachable from a tagged image, and the layers of live rootfs directories;
//   - unreferenced blobs and layers younger than the grace period: a pull commits its blobs before it tags the
//     image, and has() refreshes a blob it lets a pull skip, so a pull in progress is never robbed;
//   - partial downloads whose ingest lock is held (a download in progress), or that are younger than the grace.
import { lstat, readdir, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Digest } from '../types';
import type { BlobStore } from './blobs';
import { isDigest } from './digest';
import { acquireLock, tryLock } from './lock';
import { readNames } from './names';
import type { StorePaths } from './paths';
import { markReachable } from './reachable';
import { liveRootfsRefs } from './rootfs-refs';

export interface PruneOptions {
  /** Unreferenced things younger than this are kept. Default 10 minutes. */
  graceMs?: number;
  /** How long to wait for operations in progress to finish. Default 60 s (then ImageError BUSY). */
  timeoutMs?: number;
}

export interface PruneResult {
  blobsRemoved: number;
  layersRemoved: number;
  partialsRemoved: number;
  bytesFreed: number;
  /** Unreferenced blobs and layers kept because they are younger than the grace period. */
  keptRecent: number;
}

export const DEFAULT_PRUNE_GRACE_MS = 10 * 60_000;

async function treeBytes(dir: string): Promise<number> {
  let total = 0;
  const stack = [dir];
  while (stack.length) {
    const d = stack.pop()!;
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = join(d, e.name);
      if (e.isDirectory()) stack.push(p);
      else if (e.isFile()) total += (await lstat(p).catch(() => undefined))?.size ?? 0;
    }
  }
  return total;
}

export async function prune(paths: StorePaths, blobs: BlobStore, opts: PruneOptions = {}): Promise<PruneResult> {
  const grace = opts.graceMs ?? DEFAULT_PRUNE_GRACE_MS;
  const cutoff = Date.now() - grace;
  const lock = await acquireLock(paths.storeLock, 'exclusive', { timeoutMs: opts.timeoutMs ?? 60_000, what: 'the image store' });
  const result: PruneResult = { blobsRemoved: 0, layersRemoved: 0, partialsRemoved: 0, bytesFreed: 0, keptRecent: 0 };
  try {
    const names = await readNames(paths);
    const marked = await markReachable(blobs, Object.values(names).map((e) => e.digest));
    for (const ref of await liveRootfsRefs(paths)) for (const l of ref.layers) marked.layers.add(l);

    for (const d of await blobs.list()) {
      if (marked.blobs.has(d)) continue;
      const st = await stat(blobs.path(d)).catch(() => undefined);
      if (!st) continue;
      if (st.mtimeMs > cutoff) {
        result.keptRecent++;
        continue;
      }
      await unlink(blobs.path(d));
      result.blobsRemoved++;
      result.bytesFreed += st.size;
    }

    for (const name of await readdir(paths.layers).catch(() => [] as string[])) {
      const dir = join(paths.layers, name);
      if (name.startsWith('.tmp-')) {
        // An unpack that died; nobody unpacks while we hold the store lock.
        result.bytesFreed += await treeBytes(dir);
        await rm(dir, { recursive: true, force: true });
        continue;
      }
      const chain: Digest = 'sha256:' + name;
      if (!isDigest(chain) || marked.layers.has(chain)) continue;
      const st = await stat(join(dir, 'meta.json')).catch(() => undefined);
      if (st && st.mtimeMs > cutoff) {
        result.keptRecent++;
        continue;
      }
      result.bytesFreed += await treeBytes(dir);
      await rm(dir, { recursive: true, force: true });
      result.layersRemoved++;
    }

    for (const name of await readdir(paths.ingest).catch(() => [] as string[])) {
      if (name.endsWith('.lock')) continue;
      const d: Digest = 'sha256:' + name;
      if (!isDigest(d)) continue;
      const held = await tryLock(paths.ingestLock(d), 'exclusive');
      if (!held) continue; // a download is writing it
      try {
        const st = await stat(paths.partial(d)).catch(() => undefined);
        if (!st || st.mtimeMs > cutoff) continue;
        await unlink(paths.partial(d));
        result.partialsRemoved++;
        result.bytesFreed += st.size;
      } finally {
        await held.unlinkAndRelease();
      }
    }

    for (const name of await readdir(paths.tmp).catch(() => [] as string[])) {
      const p = join(paths.tmp, name);
      result.bytesFreed += (await lstat(p).catch(() => undefined))?.size ?? 0;
      await rm(p, { recursive: true, force: true });
    }
  } finally {
    await lock.release();
  }
  return result;
}
