// Records of assembled rootfs directories that still use cached layers (an overlay mounts them as lowerdirs),
// so prune keeps those layers even when the image was removed. A record whose directory is gone is stale.
import { createHash } from 'node:crypto';
import { readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from './atomic-file';
import type { StorePaths } from './paths';
import type { Digest } from '../types';

export interface RootfsRef {
  /** The container directory holding the rootfs (absolute). */
  dir: string;
  /** Chain IDs of the cached layers it uses. */
  layers: Digest[];
}

/** The file a container dir's record lives in; also its marker inside the dir (`<dir>/rootfs.json`). */
function refFile(paths: StorePaths, dir: string): string {
  return join(paths.rootfsRefs, createHash('sha256').update(resolve(dir)).digest('hex') + '.json');
}

export const ROOTFS_MARKER = 'rootfs.json';

export async function addRootfsRef(paths: StorePaths, ref: RootfsRef): Promise<void> {
  // Not flushed (it is on every container start's critical path): a ref must outlive a crash of this process,
  // but a host crash takes the rootfs mount, and the pod, with it.
  await writeFileAtomic(refFile(paths, ref.dir), JSON.stringify({ ...ref, dir: resolve(ref.dir) }) + '\n', 0o600, { durable: false });
}

export async function removeRootfsRef(paths: StorePaths, dir: string): Promise<void> {
  await unlink(refFile(paths, dir)).catch(() => {});
}

/** Live records; stale ones (directory or its marker gone) are deleted on the way. */
export async function liveRootfsRefs(paths: StorePaths): Promise<RootfsRef[]> {
  const out: RootfsRef[] = [];
  for (const name of await readdir(paths.rootfsRefs).catch(() => [] as string[])) {
    if (!name.endsWith('.json')) continue;
    const file = join(paths.rootfsRefs, name);
    let ref: RootfsRef;
    try {
      ref = JSON.parse(await readFile(file, 'utf8')) as RootfsRef;
    } catch {
      continue; // a half-written record cannot exist (atomic writes); an unreadable one is kept, not trusted
    }
    if (await stat(join(ref.dir, ROOTFS_MARKER)).catch(() => undefined)) out.push(ref);
    else await unlink(file).catch(() => {});
  }
  return out;
}
