// subPath mounts of pod-containers, safe against containers that rewrite their volumes (CVE-2017-1002101).
// A container may replace a subPath directory of a writable volume with a symlink (to `/`, say); the runtime
// would follow it at the next start and bind-mount the host. So the subPath is resolved at every container
// start, as the kubelet does: symlinks are evaluated and must stay inside the volume, then the result is
// opened beneath the volume without following any symlink (openat2, native/safe-open.ts) and bind-mounted
// from that descriptor onto a pod-private path, `subpaths/<container>/<index>`. The container's config names
// only that private path, which nothing in a container can reach. The previous start's private mounts are
// removed first; teardown removes the rest with every other mount below the pod directory.
import { lstat, mkdir, realpath, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { bindMountFd, closeFd, mkdirBeneath, openBeneath, openDirectory, statFd } from '../../../native/safe-open';
import type { MountInput } from '../../image/bundle';
import { PodError } from '../types';
import { unmountUnder } from './host-mounts';
import type { PodPaths } from './paths';
import type { PodContainer, Volume, VolumeMount } from './pod-spec';
import { PROPAGATION, safeRelative, volumeIsWritable, type PreparedVolume } from './volumes';

function refused(container: string, message: string): PodError {
  return new PodError(`container "${container}": ${message}`, 'START_FAILED', { container });
}

/**
 * The container's volume mounts for its config template: whole volumes by their path, subPath mounts by
 * their private path (mounted at each start by `mountSubPaths`). Only the subPath text is checked here.
 */
export function nativeContainerMounts(container: PodContainer, volumes: Map<string, PreparedVolume>, paths: PodPaths): MountInput[] {
  return (container.volumeMounts ?? []).map((m, index) => {
    const v = volumes.get(m.name);
    if (!v) throw new PodError(`container "${container.name}": volumeMount "${m.name}" names no volume of the pod`, 'INVALID');
    if (m.subPathExpr) throw new PodError(`container "${container.name}": subPathExpr is not supported yet; use subPath`, 'INVALID');
    if (m.subPath) safeRelative(m.subPath, `container "${container.name}" subPath`);
    return {
      destination: m.mountPath,
      source: m.subPath ? paths.subPath(container.name, index) : v.path,
      readOnly: v.forceReadOnly || m.readOnly === true,
      ...(m.mountPropagation ? { propagation: PROPAGATION[m.mountPropagation] ?? 'rprivate' } : {}),
    };
  });
}

/** Where a volume lives on the host (hostPath: the author's path; the others: the pod's volume directory). */
function volumeRoot(v: Volume, paths: PodPaths): string {
  return v.hostPath ? v.hostPath.path : paths.volume(v.name);
}

/** Opens the subPath beneath its volume as an O_PATH descriptor, creating it first in a writable volume. */
async function openSubPath(container: string, root: string, m: VolumeMount, writable: boolean): Promise<number> {
  const rel = safeRelative(m.subPath!, `container "${container}" subPath`);
  const what = `subPath "${m.subPath}" of volume "${m.name}"`;
  if (writable && !(await lstat(join(root, rel)).catch(() => undefined))) {
    // Created one directory at a time without following symlinks: a planted symlink cannot make us create
    // directories outside the volume. They take the volume root's mode, as the kubelet makes them, so an
    // emptyDir's subPath is as writable (by the fsGroup, by anyone) as the emptyDir.
    const rootFd = openDirectory(root);
    try {
      mkdirBeneath(rootFd, rel, statFd(rootFd).mode & 0o7777);
    } catch (err) {
      throw refused(container, `${what} cannot be created inside the volume: ${(err as Error).message}`);
    } finally {
      closeFd(rootFd);
    }
  }
  // Symlinks are allowed as long as they stay inside the volume (the kubelet evaluates them too)...
  const [real, base] = await Promise.all([realpath(join(root, rel)).catch(() => undefined), realpath(root)]);
  if (real === undefined) throw refused(container, `${what} does not exist`);
  if (real !== base && !real.startsWith(base + '/')) throw refused(container, `${what} leads out of the volume (to ${real}); it is not mounted`);
  // ...and what they led to is opened with no symlink followed: a swap since the check fails here.
  const baseFd = openDirectory(base);
  try {
    return openBeneath(baseFd, relative(base, real));
  } catch (err) {
    throw refused(container, `${what} changed while it was being mounted (a symlink on its way?): ${(err as Error).message}`);
  } finally {
    closeFd(baseFd);
  }
}

/** Removes a container's private subPath mounts (its previous instance's); throws if one stays mounted. */
export async function releaseSubPaths(paths: PodPaths, container: string): Promise<void> {
  const dir = paths.subPaths(container);
  const stuck = await unmountUnder(dir);
  if (stuck.length > 0) throw new Error(`cannot unmount ${stuck.join(', ')}`);
  await rm(dir, { recursive: true, force: true });
}

/** Mounts the container's subPaths afresh for the instance about to start (called at every start). */
export async function mountSubPaths(paths: PodPaths, volumes: readonly Volume[], container: PodContainer): Promise<void> {
  const mounts = (container.volumeMounts ?? []).map((m, index) => ({ m, index })).filter((x) => x.m.subPath);
  if (mounts.length === 0) return;
  await releaseSubPaths(paths, container.name);
  await mkdir(paths.subPaths(container.name), { recursive: true, mode: 0o700 });
  for (const { m, index } of mounts) {
    const v = volumes.find((x) => x.name === m.name);
    if (!v) throw refused(container.name, `volumeMount "${m.name}" names no volume of the pod`);
    const fd = await openSubPath(container.name, volumeRoot(v, paths), m, volumeIsWritable(v));
    try {
      const target = paths.subPath(container.name, index);
      // A bind mount needs a target of the same kind: a directory for a directory, a file for anything else.
      if (statFd(fd).isDirectory()) await mkdir(target, { mode: 0o700 });
      else await writeFile(target, '', { mode: 0o600 });
      bindMountFd(fd, target);
    } finally {
      closeFd(fd);
    }
  }
}
