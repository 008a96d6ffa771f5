// Opening paths inside a directory a container can write to, without following its symlinks, and bind-mounting
// what was opened. Node opens by path only: every component is resolved again at each call and symlinks are
// followed, so a container that swaps a directory for a symlink between our check and our use redirects us
// (CVE-2017-1002101 for subPath mounts). Here a path is opened relative to a directory descriptor with openat2
// (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), or one component at a time with O_NOFOLLOW where openat2 is missing
// (Linux < 5.6, or a seccomp filter that refuses it), and the mount is made from the descriptor itself
// (/proc/self/fd/N), as the kubelet's fix does.
import { closeSync, fchmodSync, constants as fsConstants, fstatSync, type Stats } from 'node:fs';
import { endianness } from 'node:os';
import { errnoException, lastErrno, lazyBindings } from './libc';

const O_RDONLY = 0;
const O_PATH = 0o10000000;
const O_CLOEXEC = 0o2000000;
// These two differ between architectures (arm64 has other values than x86): Node knows this platform's.
const O_DIRECTORY = fsConstants.O_DIRECTORY;
const O_NOFOLLOW = fsConstants.O_NOFOLLOW;
const RESOLVE_NO_MAGICLINKS = 0x02;
const RESOLVE_NO_SYMLINKS = 0x04;
const RESOLVE_BENEATH = 0x08;
const SYS_OPENAT2 = 437; // the same number on every architecture (unified syscall table since Linux 5.1)
const OPEN_HOW_SIZE = 24; // struct open_how { u64 flags; u64 mode; u64 resolve; }
const MS_BIND = 4096;
const MS_REC = 16384;
const MNT_DETACH = 2;
const ENOENT = 2;
const EEXIST = 17;
const ENOSYS = 38;
const ELOOP = 40;
const EPERM = 1;

const fns = lazyBindings('safe path resolution (openat2, openat, mkdirat, mount)', (lib) => ({
  syscall: lib.func('long syscall(long number, ...)') as (n: number, ...rest: unknown[]) => number | bigint,
  open: lib.func('int open(const char *path, int flags, ...)') as (path: string, flags: number, ...rest: unknown[]) => number,
  openat: lib.func('int openat(int dirfd, const char *path, int flags, ...)') as (dirfd: number, path: string, flags: number, ...rest: unknown[]) => number,
  mkdirat: lib.func('int mkdirat(int dirfd, const char *path, uint32_t mode)') as (dirfd: number, path: string, mode: number) => number,
  mount: lib.func('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const void *data)') as (
    source: string,
    target: string,
    fstype: string | null,
    flags: number,
    data: null,
  ) => number,
  umount2: lib.func('int umount2(const char *target, int flags)') as (target: string, flags: number) => number,
}));

export interface BeneathOptions {
  /** Walk one component at a time even where openat2 works (tests use it to cover the fallback). */
  noOpenat2?: boolean;
}

/** Whether openat2 works here: unknown until first used, then remembered. */
let openat2Works: boolean | undefined;

/** Components of a relative path; refuses absolute paths and `..` (callers pass paths made relative to the directory). */
function components(rel: string): string[] {
  if (rel.startsWith('/') || rel.includes('\0')) throw errnoException('openat', 22 /* EINVAL */, rel);
  const parts = rel.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw errnoException('openat', 22, rel);
  return parts;
}

/** Opens a directory (O_PATH) by an absolute path, following symlinks: for roots the engine or the pod author chose. */
export function openDirectory(path: string): number {
  const fd = fns().open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw errnoException('open', lastErrno(), path);
  return fd;
}

export function closeFd(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed: nothing to do.
  }
}

/** fstat of a descriptor (O_PATH descriptors included). */
export function statFd(fd: number): Stats {
  return fstatSync(fd);
}

function openat2(dirfd: number, rel: string, flags: number): number {
  const how = Buffer.alloc(OPEN_HOW_SIZE);
  const le = endianness() === 'LE';
  const write = (v: number, at: number) => (le ? how.writeBigUInt64LE(BigInt(v), at) : how.writeBigUInt64BE(BigInt(v), at));
  write(flags, 0);
  write(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS, 16);
  return Number(fns().syscall(SYS_OPENAT2, 'int', dirfd, 'const char *', rel, 'void *', how, 'size_t', OPEN_HOW_SIZE));
}

/** One component, not followed if it is a symlink; the caller closes `dirfd` when it wants to. */
function openComponent(dirfd: number, name: string, flags: number): number {
  return fns().openat(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC, 'uint32_t', 0);
}

function walk(dirfd: number, parts: string[], rel: string, mkdirMode?: number): number {
  let cur = dirfd;
  try {
    for (const [i, part] of parts.entries()) {
      const last = i === parts.length - 1;
      // Intermediate components must be directories: O_DIRECTORY with O_NOFOLLOW fails on a symlink (ENOTDIR).
      const flags = O_PATH | (last && mkdirMode === undefined ? 0 : O_DIRECTORY);
      let next = openComponent(cur, part, flags);
      if (next < 0 && mkdirMode !== undefined && lastErrno() === ENOENT) {
        const made = fns().mkdirat(cur, part, 0o700) >= 0;
        if (!made && lastErrno() !== EEXIST) throw errnoException('mkdirat', lastErrno(), rel);
        // mkdirat's mode passes the umask: the mode is set exactly, on the directory opened (readable, so
        // fchmod works; O_NOFOLLOW, so a symlink swapped in meanwhile is refused, never chmod-ed through).
        next = openComponent(cur, part, made ? O_RDONLY | O_DIRECTORY : flags);
        if (next >= 0 && made) fchmodSync(next, mkdirMode);
      }
      if (next < 0) throw errnoException('openat', lastErrno(), rel);
      if (cur !== dirfd) closeFd(cur);
      cur = next;
      // O_PATH | O_NOFOLLOW opens a final symlink itself instead of failing: refuse it here.
      if (last && statFd(cur).isSymbolicLink()) throw errnoException('openat', ELOOP, rel);
    }
    // An empty path is the directory itself: hand out a descriptor of its own.
    return cur === dirfd ? openComponent(dirfd, '.', O_PATH | O_DIRECTORY) : cur;
  } catch (err) {
    if (cur !== dirfd) closeFd(cur);
    throw err;
  }
}

/**
 * Opens `rel` below the directory `dirfd` as an O_PATH descriptor, refusing any symlink on the way (ELOOP or
 * ENOTDIR, whatever it points at) and any way out of the directory (EXDEV). The caller closes the result.
 */
export function openBeneath(dirfd: number, rel: string, options: BeneathOptions = {}): number {
  const parts = components(rel);
  if (!options.noOpenat2 && openat2Works !== false) {
    const fd = openat2(dirfd, parts.length ? parts.join('/') : '.', O_PATH | O_CLOEXEC);
    if (fd >= 0) {
      openat2Works = true;
      return fd;
    }
    const errno = lastErrno();
    // ENOSYS: an older kernel. EPERM: a seccomp filter refusing what it does not know (container runtimes).
    if (errno !== ENOSYS && errno !== EPERM) throw errnoException('openat2', errno, rel);
    openat2Works = false;
  }
  return walk(dirfd, parts, rel);
}

/** Creates the missing directories of `rel` below `dirfd` with exactly `mode`, never through a symlink. */
export function mkdirBeneath(dirfd: number, rel: string, mode: number): void {
  closeFd(walk(dirfd, components(rel), rel, mode));
}

/**
 * Bind-mounts (recursively) the file or directory open as `fd` onto `target`. The kernel follows the
 * /proc/self/fd link to the very object opened, so renames and symlinks made since cannot redirect it.
 */
export function bindMountFd(fd: number, target: string): void {
  if (fns().mount(`/proc/self/fd/${fd}`, target, null, MS_BIND | MS_REC, null) < 0) throw errnoException('mount', lastErrno(), target);
}

/** Unmounts `target`; with `detach`, lazily (MNT_DETACH) when it is busy. */
export function unmount(target: string, detach = false): void {
  if (fns().umount2(target, detach ? MNT_DETACH : 0) < 0) throw errnoException('umount2', lastErrno(), target);
}
