// The files that make up one container instance's log, and how to list them consistently.
//
// Naming (for a log path PATH, e.g. `<dir>/3.log`; rotate.ts makes these):
//   PATH      the live file conmon writes
//   PATH.1 …  rotated files, a higher number is older (PATH.1 may still be written for a moment after a
//             rotation: until conmon has reopened its log and created a new PATH)
//   PATH.tmp  conmon's new file for an instant before it renames it to PATH (never read)
// Reading order, oldest first: PATH.<n> … PATH.1, PATH. Any `PATH.<digits>` is taken, so other numbering schemes
// (a PATH.0 kept as a hard link to PATH, say) read too: consecutive names of one inode are read once.
import { closeSync, constants, fstatSync, openSync, readdirSync, statSync, type BigIntStats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { closeFd } from './fd-io';

// Synchronous on purpose: listing a chain is a readdir and a few stats of one small directory (microseconds),
// and done in one event-loop turn it cannot interleave with a rotation done by the same process (rotate.ts) or
// with a follower's discovery of new files (follow.ts).

export interface LogFileInfo {
  path: string;
  dev: number;
  ino: number;
  size: number;
  /** Creation time in ns since the epoch (statx btime); 0n where the filesystem does not record it. */
  birth: bigint;
}

export interface OpenLogFile extends LogFileInfo {
  /** A raw descriptor (see fd-io.ts for why and for the rule on closing it). */
  fd: number;
}

/** The name of rotated file `n`. */
export function rotatedLogPath(path: string, n: number): string {
  return `${path}.${n}`;
}

type Identity = { dev: number | bigint; ino: number | bigint };

export function sameFile(a: Identity, b: Identity): boolean {
  return BigInt(a.dev) === BigInt(b.dev) && BigInt(a.ino) === BigInt(b.ino);
}

/** Paths of the chain, oldest first (not yet deduplicated by inode). */
export function chainPaths(path: string): string[] {
  const dir = dirname(path);
  const base = basename(path);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if (isMissing(err)) return [];
    throw err;
  }
  const rotated: number[] = [];
  let live = false;
  for (const name of names) {
    if (name === base) live = true;
    else if (name.startsWith(base + '.')) {
      const suffix = name.slice(base.length + 1);
      if (/^\d{1,6}$/.test(suffix)) rotated.push(Number(suffix));
    }
  }
  rotated.sort((a, b) => b - a);
  const out = rotated.map((n) => join(dir, `${base}.${n}`));
  if (live) out.push(join(dir, base));
  return out;
}

/** Stats the chain (oldest first, deduplicated). */
export function statLogChain(path: string): LogFileInfo[] {
  const out: LogFileInfo[] = [];
  for (const p of chainPaths(path)) {
    const st = statOrUndefined(p);
    if (!st) continue;
    const info = fileInfo(p, st);
    if (out.length && sameFile(out[out.length - 1], info)) out[out.length - 1] = info;
    else out.push(info);
  }
  return out;
}

/**
 * Opens every file of the chain, oldest first, as one consistent snapshot: the listing is repeated until the
 * names still point at the inodes that were opened, so a rotation by another process at the same time cannot
 * make a file appear twice or not at all. Sizes are taken after opening (what a snapshot reader reads up to).
 */
export function openLogChain(path: string, attempts = 8): OpenLogFile[] {
  for (let attempt = 1; ; attempt++) {
    const opened: OpenLogFile[] = [];
    let stable = true;
    try {
      for (const p of chainPaths(path)) {
        const file = openLogFile(p);
        if (!file) {
          stable = false; // renamed away between listing and opening
          continue;
        }
        const prev = opened[opened.length - 1];
        if (prev && sameFile(prev, file)) {
          closeSync(prev.fd);
          opened[opened.length - 1] = file;
        } else {
          opened.push(file);
        }
      }
      if (stable) stable = stillNamed(path, opened);
    } catch (err) {
      for (const f of opened) closeSync(f.fd);
      throw err;
    }
    if (stable || attempt >= attempts) return opened;
    for (const f of opened) closeSync(f.fd);
  }
}

/**
 * Opens `path` read-only; undefined when it does not exist, or is not a regular file of its own: the writer
 * may be untrusted (a wasm pod's sandbox writes its logs), so a symbolic link is not followed and a FIFO is
 * not waited on.
 */
export function openLogFile(path: string): OpenLogFile | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    if (isMissing(err) || (err as NodeJS.ErrnoException).code === 'ELOOP') return undefined;
    throw err;
  }
  try {
    const st = fstatSync(fd, { bigint: true });
    if (!st.isFile()) {
      closeSync(fd);
      return undefined;
    }
    return { ...fileInfo(path, st), fd };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/** Opens `info.path` if it still names the same file (a rotation may have renamed it since it was listed). */
export function openIfSame(info: LogFileInfo): OpenLogFile | undefined {
  const file = openLogFile(info.path);
  if (file && !sameFile(file, info)) {
    closeSync(file.fd);
    return undefined;
  }
  return file;
}

function stillNamed(path: string, opened: OpenLogFile[]): boolean {
  const now = statLogChain(path);
  if (now.length !== opened.length) return false;
  return now.every((f, i) => sameFile(f, opened[i]));
}

export async function closeAll(files: { fd: number }[]): Promise<void> {
  await Promise.all(files.map((f) => closeFd(f.fd)));
}

/** The identity, size and birth of a file from bigint stats (inode numbers and times stay exact). */
export function fileInfo(path: string, st: BigIntStats): LogFileInfo {
  return { path, dev: Number(st.dev), ino: Number(st.ino), size: Number(st.size), birth: st.birthtimeNs };
}

export function statOrUndefined(p: string): BigIntStats | undefined {
  return statSync(p, { bigint: true, throwIfNoEntry: false });
}

export function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
