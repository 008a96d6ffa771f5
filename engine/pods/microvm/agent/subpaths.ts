// subPath mounts into memory-backed emptyDirs, made in the guest at every container start (the kubelet's
// rules, CVE-2017-1002101's fix). Any container of the pod may write to the volume's tmpfs and replace the
// subPath directory with a symlink (to the guest's `/`, say): following it would mount the guest's files
// into the next instance. So the subPath is opened beneath the volume with no symlink followed (openat2
// RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS, or a component-wise O_NOFOLLOW walk: native/safe-open.ts), missing
// directories are created the same way with the volume's mode, and the bind mount is made from the opened
// descriptor onto guestSubPath(container, index), the only path the config names. A symlink anywhere on the
// way refuses the start.
import { lstatSync, mkdirSync, rmdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { bindMountFd, closeFd, mkdirBeneath, openBeneath, openDirectory, statFd, unmount } from '../../../../native/safe-open';
import { guestMemoryVolume, guestSubPath } from '../protocol/guest-paths';
import type { GuestContainerPlan } from '../protocol/messages';

type SubPath = NonNullable<GuestContainerPlan['memorySubPaths']>[number];

/** Unmounts what a previous instance had at `target` and removes it (never recursively: it may be a mount). */
function release(target: string): void {
  for (let i = 0; i < 8; i++) {
    try {
      unmount(target, true);
    } catch {
      break; // EINVAL: not a mount point (any more); ENOENT: not there.
    }
  }
  const st = lstatSync(target, { throwIfNoEntry: false });
  if (st?.isDirectory()) rmdirSync(target);
  else if (st) unlinkSync(target);
}

function openSubPath(container: string, s: SubPath): number {
  const what = `subPath "${s.subPath}" of volume "${s.volume}"`;
  const refuse = (err: unknown) =>
    new Error(
      (err as NodeJS.ErrnoException).code === 'ELOOP' || (err as NodeJS.ErrnoException).code === 'ENOTDIR' || (err as NodeJS.ErrnoException).code === 'EXDEV'
        ? `container "${container}": ${what} is refused: a symlink (or a file) is on its path inside the volume, and it is never followed; nothing was mounted (${(err as Error).message})`
        : `container "${container}": ${what} cannot be mounted: ${(err as Error).message}`,
    );
  const root = openDirectory(guestMemoryVolume(s.volume));
  try {
    try {
      return openBeneath(root, s.subPath);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw refuse(err);
    }
    // Missing: created as the kubelet does, one directory at a time, never through a symlink.
    try {
      mkdirBeneath(root, s.subPath, statFd(root).mode & 0o7777);
      return openBeneath(root, s.subPath);
    } catch (err) {
      throw refuse(err);
    }
  } finally {
    closeFd(root);
  }
}

/** Mounts the container's subPaths afresh for the instance about to start. */
export function mountMemorySubPaths(container: string, subPaths: readonly SubPath[]): void {
  for (const s of subPaths) {
    const target = guestSubPath(container, s.index);
    release(target);
    const fd = openSubPath(container, s);
    try {
      // A bind mount needs a target of the same kind: a directory for a directory, a file for anything else.
      if (statFd(fd).isDirectory()) mkdirSync(target, { recursive: true, mode: 0o700 });
      else {
        mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
        writeFileSync(target, '', { mode: 0o600 });
      }
      bindMountFd(fd, target);
    } finally {
      closeFd(fd);
    }
  }
}
