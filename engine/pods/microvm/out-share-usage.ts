// What a microVM pod may keep on its out share, measured from the host (the guest is not trusted to say). The
// out share is the only host directory a guest can write, so its usage is bounded twice, both by measuring
// (`du`, as for native pods, volume-usage.ts) every few seconds while the pod runs:
//   - each disk emptyDir with a sizeLimit, as the kubelet's eviction manager does (the kubelet's message);
//   - the whole share: the disk emptyDirs' budgets (sizeLimit, or DEFAULT_VM_DISK_EMPTYDIR_BYTES without one),
//     plus each container's log allowance (two instances of rotated logs and one file of rotation lag), plus a
//     little for status.json and directories. Whatever a guest writes elsewhere, or past the rotation the
//     guest's agent is trusted to do, counts against it.
// Over either: the pod is evicted (context.ts). Logs of instances before the previous one are deleted first,
// as the kubelet's container GC removes dead containers' logs, so a crash-looping container never reaches the
// cap by restarting.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_ROTATION, pruneInstances, type RotationPolicy } from '../../logs';
import type { PodObject } from '../native/pod-spec';
import { diskEmptyDirLimits, diskUsage, evictionMessage, exceededLimit, type DiskLimit } from '../native/volume-usage';
import { VmPodPaths } from './paths';
import { LOGS_DIR } from './protocol/guest-paths';
import type { VmPodRecord } from './records';

const MiB = 1024 * 1024;

/** A disk emptyDir without a sizeLimit counts this much towards the share's cap (as a memory-backed one's default). */
export const DEFAULT_VM_DISK_EMPTYDIR_BYTES = 1024 * MiB;
/** status.json (the host reads at most 1 MiB of it), its temporary copy, directories, 9p's mapped-file metadata. */
export const OUT_SHARE_OVERHEAD_BYTES = 4 * MiB;
/** Instances whose logs are kept per container: the current one and the previous (`logs --previous`). */
export const LOG_INSTANCES_KEPT = 2;

/** What one container's logs may take: the kept instances' rotated files, plus one file of rotation lag. */
export function logAllowance(rotation: RotationPolicy = DEFAULT_ROTATION): number {
  return (LOG_INSTANCES_KEPT * rotation.maxFiles + 1) * rotation.maxBytes;
}

export interface OutShareLimits {
  /** Disk emptyDirs with a sizeLimit, measured one by one. */
  volumes: DiskLimit[];
  /** The whole share. */
  dir: string;
  bytes: number;
  /** Each container's log directory, pruned to the kept instances before measuring. */
  logDirs: string[];
}

/** The pod's paths with its disk emptyDirs placed on the out share, as run_pod placed them (plan.ts). */
export function vmPodPaths(home: string, pod: VmPodRecord): VmPodPaths {
  const paths = new VmPodPaths(home, pod.uid);
  for (const v of pod.pod.spec.volumes ?? []) if (v.emptyDir && v.emptyDir.medium !== 'Memory') paths.markWritable(v.name);
  return paths;
}

export function outShareLimits(pod: PodObject, containers: readonly string[], paths: VmPodPaths, rotation: RotationPolicy = DEFAULT_ROTATION): OutShareLimits {
  const volumes = diskEmptyDirLimits(pod, paths);
  let bytes = OUT_SHARE_OVERHEAD_BYTES + containers.length * logAllowance(rotation);
  for (const v of pod.spec.volumes ?? []) {
    if (!v.emptyDir || v.emptyDir.medium === 'Memory') continue;
    bytes += volumes.find((l) => l.volume === v.name)?.bytes ?? DEFAULT_VM_DISK_EMPTYDIR_BYTES;
  }
  return { volumes, dir: paths.out, bytes, logDirs: containers.map((c) => join(paths.out, LOGS_DIR, c)) };
}

/** A size as a Kubernetes quantity: whole MiB as `Mi`, anything else in bytes. */
export function quantityText(bytes: number): string {
  return bytes % MiB === 0 ? `${bytes / MiB}Mi` : String(bytes);
}

export function outShareMessage(bytes: number): string {
  return `Usage of the pod's writable VM share (disk emptyDirs, container logs, status) exceeds its limit "${quantityText(bytes)}".`;
}

const LOG_FILE = /^\d{1,9}\.log(?:\.\d{1,6}|\.tmp)?$/;

/** Deletes the logs of instances before the previous one, with what 9p keeps beside them. */
export async function pruneLogs(dir: string): Promise<void> {
  await pruneInstances(dir, LOG_INSTANCES_KEPT);
  // The out share's mapped-file model keeps each file's owner and mode in .virtfs_metadata/<name>, which QEMU
  // removes only when the guest deletes the file: the host removes those of the logs it deleted.
  const present = new Set(await readdir(dir));
  const meta = join(dir, '.virtfs_metadata');
  for (const name of await readdir(meta).catch(() => [] as string[])) if (LOG_FILE.test(name) && !present.has(name)) await rm(join(meta, name), { force: true });
}

/** Why the pod must be evicted, or undefined while it stays within its limits (old instances' logs pruned first). */
export async function checkOutShare(limits: OutShareLimits): Promise<string | undefined> {
  for (const dir of limits.logDirs) await pruneLogs(dir).catch(() => undefined);
  const volume = await exceededLimit(limits.volumes);
  if (volume) return evictionMessage(volume);
  const used = await diskUsage(limits.dir);
  return used !== undefined && used > limits.bytes ? outShareMessage(limits.bytes) : undefined;
}
