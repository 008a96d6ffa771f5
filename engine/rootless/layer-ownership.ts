// Unpacked layers hold the ownership of the namespace they were unpacked in (layer-owner.ts): a rootless
// store's files belong to the user's subordinate ids, or all to the user in a single-id namespace. Should the
// mapping change (a range added to /etc/subuid, or taken away), the cached layers would show the wrong
// owners, so the store records the mapping its layers were made with (`images/layers.owner`) and, on a
// change, sets the old layers aside under the store's exclusive lock (no unpack or prune runs meanwhile) and
// starts an empty cache. A mapping only changes with a new namespace, that is with no pod running.
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { acquireLock } from '../image/store/lock';
import type { StorePaths } from '../image/store/paths';
import { identity } from './identity';

export interface OwnershipChange {
  /** Where the old layers went (removed when they could be). */
  setAside: string;
  removed: boolean;
}

/** This process's ownership key, or undefined when it does not unpack with ownership (a plain user outside). */
function ownershipKey(): string | undefined {
  const id = identity();
  if (id.hostRoot) return 'host';
  if (!id.nsRoot) return undefined;
  const text = (m: typeof id.uidMap) => m.map((r) => `${r.inside}:${r.outside}:${r.count}`).join(',');
  return `uid ${text(id.uidMap)}; gid ${text(id.gidMap)}`;
}

export async function checkLayerOwnership(paths: StorePaths): Promise<OwnershipChange | undefined> {
  const key = ownershipKey();
  if (key === undefined) return undefined;
  const marker = join(paths.root, 'layers.owner');
  const recorded = (await readFile(marker, 'utf8').catch(() => undefined))?.trim();
  if (recorded === key) return undefined;
  if (recorded === undefined) {
    await writeFile(marker, key + '\n', { mode: 0o600 });
    return undefined;
  }
  const lock = await acquireLock(paths.storeLock, 'exclusive', { timeoutMs: 60_000, what: 'the image store' });
  try {
    // Another process may have done it while we waited.
    if ((await readFile(marker, 'utf8').catch(() => ''))?.trim() === key) return undefined;
    const aside = join(paths.root, `layers.stale-${randomBytes(4).toString('hex')}`);
    await rename(paths.layers, aside).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    await mkdir(paths.layers, { recursive: true, mode: 0o700 });
    await writeFile(marker, key + '\n', { mode: 0o600 });
    // Files of ids the new namespace lacks cannot be removed from inside it; root can remove them.
    const removed = await rm(aside, { recursive: true, force: true }).then(
      () => true,
      () => false,
    );
    return { setAside: aside, removed };
  } finally {
    await lock.release();
  }
}
