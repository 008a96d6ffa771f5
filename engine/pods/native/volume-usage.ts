// Disk emptyDir sizeLimits, enforced as the kubelet's eviction manager does: a disk-backed emptyDir cannot be
// capped by the file system, so its usage is measured periodically (`du`, as the kubelet measures it) and a pod
// whose emptyDir holds more than its sizeLimit is evicted (supervisor.ts). Memory-backed emptyDirs need no
// measuring: their tmpfs is made at the size limit (volumes.ts).
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parseQuantity } from '../../limits';
import { runCommand } from '../../runtime';
import { unmountUnder } from './host-mounts';
import type { PodPaths } from './paths';
import type { PodObject } from './pod-spec';

/** How often the supervisor measures disk emptyDirs with a sizeLimit; the kubelet's housekeeping period. */
export const DEFAULT_VOLUME_USAGE_INTERVAL_MS = 10_000;

export interface DiskLimit {
  volume: string;
  dir: string;
  bytes: number;
  /** The sizeLimit as written, for the eviction message. */
  written: string;
}

/** Every disk-backed emptyDir of the pod that has a positive sizeLimit. */
export function diskEmptyDirLimits(pod: PodObject, paths: PodPaths): DiskLimit[] {
  const out: DiskLimit[] = [];
  for (const v of pod.spec.volumes ?? []) {
    if (!v.emptyDir || v.emptyDir.medium === 'Memory' || v.emptyDir.sizeLimit === undefined) continue;
    const q = parseQuantity(v.emptyDir.sizeLimit);
    const bytes = q ? Number(q.num / q.den) : 0;
    if (bytes > 0) out.push({ volume: v.name, dir: paths.volume(v.name), bytes, written: String(v.emptyDir.sizeLimit) });
  }
  return out;
}

/** Bytes the directory takes on disk (blocks, hard links once, not crossing into other file systems). */
export async function diskUsage(dir: string): Promise<number | undefined> {
  const r = await runCommand('du', ['-x', '-s', '-B', '1', '--', dir], { timeoutMs: 60_000 });
  // du exits 1 when a file vanished while it walked: its total is still good.
  const total = /^(\d+)\s/.exec(r.stdout);
  return total ? Number(total[1]) : undefined;
}

/** The first limit exceeded, if any. */
export async function exceededLimit(limits: readonly DiskLimit[]): Promise<DiskLimit | undefined> {
  for (const l of limits) {
    const used = await diskUsage(l.dir);
    if (used !== undefined && used > l.bytes) return l;
  }
  return undefined;
}

/** The kubelet's words (eviction/helpers.go emptyDirMessageFmt). */
export function evictionMessage(l: DiskLimit): string {
  return `Usage of EmptyDir volume "${l.volume}" exceeds the limit "${l.written}".`;
}

/**
 * Frees the disk of an evicted pod's disk emptyDirs, as the kubelet removes a terminated pod's volumes: what
 * containers mounted below (Bidirectional propagation) is unmounted first, and nothing is deleted through a
 * mount that stays.
 */
export async function emptyDiskVolumes(pod: PodObject, paths: PodPaths): Promise<void> {
  for (const v of pod.spec.volumes ?? []) {
    if (!v.emptyDir || v.emptyDir.medium === 'Memory') continue;
    const dir = paths.volume(v.name);
    if ((await unmountUnder(dir)).length > 0) continue;
    for (const name of await readdir(dir).catch(() => [] as string[])) await rm(join(dir, name), { recursive: true, force: true });
  }
}
