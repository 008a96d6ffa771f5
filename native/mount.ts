// Mounts made with syscalls instead of mount(8): a wasm pod's sandbox needs a handful per pod on run_pod's
// critical path, and spawning util-linux for each costs milliseconds. The new mount API (open_tree,
// mount_setattr, move_mount; Linux 5.12+, glibc 2.36+) is used for binds because attributes set on a
// detached tree travel with it: a read-only bind attached inside a shared mount propagates read-only, where
// `mount --bind` followed by a read-only remount would propagate writable (remounts do not propagate).
import { closeSync } from 'node:fs';
import { check, lazyBindings } from './libc';

const AT_FDCWD = -100;
const AT_EMPTY_PATH = 0x1000;
const AT_RECURSIVE = 0x8000;
const AT_SYMLINK_NOFOLLOW = 0x100;
const OPEN_TREE_CLONE = 1;
const OPEN_TREE_CLOEXEC = 0o2000000;
const MOVE_MOUNT_F_EMPTY_PATH = 0x4;
const MOUNT_ATTR_RDONLY = 0x1;
const MOUNT_ATTR_NOSUID = 0x2;
const MOUNT_ATTR_NODEV = 0x4;
const MOUNT_ATTR_NOEXEC = 0x8;
const MS_BIND = 4096;
const MS_SHARED = 1 << 20;
const MS_PRIVATE = 1 << 18;
const MNT_DETACH = 2;
const UMOUNT_NOFOLLOW = 8;

const fns = lazyBindings('mount syscalls (open_tree, mount_setattr, move_mount)', (lib, k) => {
  // struct mount_attr { __u64 attr_set, attr_clr, propagation, userns_fd; }
  const attr = k.struct('podsmith_mount_attr', { attr_set: 'uint64_t', attr_clr: 'uint64_t', propagation: 'uint64_t', userns_fd: 'uint64_t' });
  return {
    attrSize: k.sizeof(attr),
    openTree: lib.func('int open_tree(int dfd, const char *path, unsigned int flags)') as (dfd: number, path: string, flags: number) => number,
    mountSetattr: lib.func('int mount_setattr(int dfd, const char *path, unsigned int flags, podsmith_mount_attr *attr, size_t size)') as (
      dfd: number,
      path: string,
      flags: number,
      attr: { attr_set: number; attr_clr: number; propagation: number; userns_fd: number },
      size: number,
    ) => number,
    moveMount: lib.func('int move_mount(int from_dfd, const char *from_path, int to_dfd, const char *to_path, unsigned int flags)') as (
      fromDfd: number,
      fromPath: string,
      toDfd: number,
      toPath: string,
      flags: number,
    ) => number,
    mount: lib.func('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const void *data)') as (
      source: string | null,
      target: string,
      fstype: string | null,
      flags: number,
      data: null,
    ) => number,
    umount2: lib.func('int umount2(const char *target, int flags)') as (target: string, flags: number) => number,
  };
});

// mount(2) and umount2(2) alone: in every C library, so they do not wait on the new mount API's symbols.
const plain = lazyBindings('mount syscalls (mount, umount2)', (lib) => ({
  mount: lib.func('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)') as (
    source: string,
    target: string,
    fstype: string,
    flags: number,
    data: string,
  ) => number,
  umount2: lib.func('int umount2(const char *target, int flags)') as (target: string, flags: number) => number,
}));

export interface BindOptions {
  readOnly?: boolean;
  /** nosuid, nodev and noexec on the bind (default true: nothing a sandbox sees may gain privileges). */
  restrict?: boolean;
}

/**
 * Binds `source` (and the mounts below it) at `target`, which must exist. The tree is cloned and given its
 * attributes while detached, then attached in one step, so whoever sees it appear (including through mount
 * propagation) sees it read-only from the start. A symlink as `source` or `target` is not followed.
 */
export function bindMount(source: string, target: string, o: BindOptions = {}): void {
  const f = fns();
  const fd = check('open_tree', f.openTree(AT_FDCWD, source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_SYMLINK_NOFOLLOW), source);
  try {
    const set = (o.readOnly ? MOUNT_ATTR_RDONLY : 0) | (o.restrict === false ? 0 : MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
    if (set !== 0) check('mount_setattr', f.mountSetattr(fd, '', AT_EMPTY_PATH | AT_RECURSIVE, { attr_set: set, attr_clr: 0, propagation: 0, userns_fd: 0 }, f.attrSize), source);
    check('move_mount', f.moveMount(fd, '', AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH), target);
  } finally {
    closeSync(fd);
  }
}

/** Makes `dir` a mount of its own (a bind onto itself) whose submounts propagate to its copies (MS_SHARED). */
export function makeSharedMount(dir: string): void {
  const f = fns();
  check('mount', f.mount(dir, dir, null, MS_BIND, null), dir);
  check('mount', f.mount(null, dir, null, MS_PRIVATE, null), dir);
  check('mount', f.mount(null, dir, null, MS_SHARED, null), dir);
}

/** Detaches the mount at `target` (lazily: a busy mount goes once its last user leaves). */
export function detachMount(target: string): void {
  check('umount2', fns().umount2(target, MNT_DETACH | UMOUNT_NOFOLLOW), target);
}

/**
 * Unmounts the mount at `target` (a symlink there is not followed); `detach`: lazily, should it be busy.
 * Throws the errno error: EINVAL when `target` is no mount point, EBUSY when busy and not detached.
 */
export function unmountPath(target: string, detach = false): void {
  check('umount2', plain().umount2(target, (detach ? MNT_DETACH : 0) | UMOUNT_NOFOLLOW), target);
}

/** Mounts a filesystem that takes no source device (overlay, tmpfs) at `target`, with its `data` options. */
export function mountFilesystem(fstype: string, target: string, data: string, flags = 0): void {
  check('mount', plain().mount(fstype, target, fstype, flags, data), target);
}

/** Whether this kernel and C library have the calls above (a probe: never throws). */
export function mountApiAvailable(): boolean {
  try {
    fns();
    return true;
  } catch {
    return false;
  }
}

