// V8 code cache for the built CLI's bundles. Node 20 compiles a script from its text on every start (it has no
// module.enableCompileCache), and that was the largest cost of a CLI command before it reaches the daemon.
// bin.ts loads a bundle through here: with the bytecode V8 made the last time when there is some for exactly
// this file, else compiled from the text as usual, and the bytecode saved at exit for the next start.
//
// One file per bundle in $XDG_CACHE_HOME/podsmith/compile-cache (~/.cache/...). It is used only when all of
// this holds; otherwise the bundle compiles from its text, as with no cache:
// - It was made from this very bundle file. V8 checks its own version and flags, but of the source only its
//   length, so the cache file names the bundle by path, inode, size, mtime, ctime and the CRC-32 of its text
//   (Python's .pyc files go by mtime and size), and Node's version and CPU.
// - Its bytecode has the CRC-32 its header says: a truncated or damaged file is not handed to V8, which (in
//   Node 20) checks the lengths and its own version but not the payload, and aborts on damaged bytecode.
// - Bytecode runs as code: the file must be a regular file (never followed through a symlink) owned by this
//   user and writable by no one else, in a directory with the same properties. Whoever can still write it
//   can already change this user's files.
// Failing to read, make or write the cache (no home, a read-only or full disk) only costs the time it saves.
// PODSMITH_NO_COMPILE_CACHE=1 turns it off.
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readSync, renameSync, statSync, unlinkSync, writeSync, type BigIntStats } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { Script } from 'node:vm';
// Not node:crypto: loading it costs a CLI start-up more than everything the cache checks. (Named imports only:
// a namespace import makes the bundle copy every property of the module.)
import { crc32 } from 'node:zlib';

const MAGIC = Buffer.from('PODSMITH-V8CACHE1\n');
/** Far above any bundle's bytecode; a larger file is not read. */
const MAX_FILE_BYTES = 64 * 1024 * 1024;

/** The user's cache directory (XDG), or undefined when the cache is turned off or cannot work here. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.PODSMITH_NO_COMPILE_CACHE && env.PODSMITH_NO_COMPILE_CACHE !== '0') return undefined;
  // zlib.crc32 came with Node 20.15.
  if (typeof crc32 !== 'function') return undefined;
  // XDG: a relative XDG_CACHE_HOME is invalid and ignored.
  const xdg = env.XDG_CACHE_HOME;
  try {
    return xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.cache');
  } catch {
    return undefined;
  }
}

/** Where the cache files live. */
export function compileCacheDir(root: string): string {
  return join(root, 'podsmith', 'compile-cache');
}

export interface LoadedBundle {
  exports: unknown;
  /** 'hit': the bytecode came from the cache; 'miss': compiled from the text; 'off': no cache directory. */
  readonly cache: 'hit' | 'miss' | 'off';
  /** After a miss, saves the bytecode of everything compiled so far; does nothing otherwise. */
  save(): void;
}

/** Loads a CommonJS bundle as require() would, through the code cache. */
export function loadBundle(file: string, env: NodeJS.ProcessEnv = process.env): LoadedBundle {
  const { source, stat, crc } = readSource(file);
  // No cache for a file that changed while it was read (a build writing it): its identity names neither text.
  const root = stat ? cacheRoot(env) : undefined;
  const dir = root && compileCacheDir(root);
  // The path's CRC in the name: installs in two places do not take turns overwriting one file.
  const cacheFile = dir && join(dir, `${basename(file, '.js')}-${crc32(file).toString(16)}.v8`);
  const key = Buffer.from(
    JSON.stringify([process.version, process.arch, file, `${stat?.dev}`, `${stat?.ino}`, `${stat?.size}`, `${stat?.mtimeNs}`, `${stat?.ctimeNs}`, crc]),
  );
  const cachedData = dir && cacheFile ? readCache(dir, cacheFile, key) : undefined;

  // The wrapper Node's CommonJS loader puts around a file.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) { ${source}\n});`, { filename: file, cachedData });
  const hit = cachedData !== undefined && !script.cachedDataRejected;
  const mod = new Module(file);
  mod.filename = file;
  (script.runInThisContext() as (...args: unknown[]) => void).call(mod.exports, mod.exports, createRequire(file), mod, file, dirname(file));
  mod.loaded = true;

  let saved = hit || !cacheFile;
  return {
    exports: mod.exports,
    cache: !dir ? 'off' : hit ? 'hit' : 'miss',
    save() {
      if (saved) return;
      saved = true;
      writeCache(root!, dir!, cacheFile!, key, script.createCachedData());
    },
  };
}

/** The text and the identity of the file it was read from (one descriptor: the same file for both). */
function readSource(file: string): { source: string; stat?: BigIntStats; crc: number } {
  const fd = openSync(file, 'r');
  try {
    const before = fstatSync(fd, { bigint: true });
    const buf = Buffer.allocUnsafe(Number(before.size));
    let n = 0;
    while (n < buf.length) {
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
    }
    const after = fstatSync(fd, { bigint: true });
    const stable = after.ctimeNs === before.ctimeNs && after.size === before.size && n === buf.length;
    // The text's CRC too, for file systems with coarse timestamps (a same-size rebuild within their tick).
    return { source: buf.toString('utf8', 0, n), stat: stable ? after : undefined, crc: stable ? crc32(buf.subarray(0, n)) : 0 };
  } finally {
    closeSync(fd);
  }
}

/** Whether `st` is something only this user (or root) can have written. */
function ownedPrivately(st: { uid: number; mode: number }): boolean {
  return st.uid === process.geteuid?.() && (st.mode & 0o022) === 0;
}

// A cache file: MAGIC, key length (uint32 BE), key, CRC-32 of the bytecode (uint32 BE), bytecode.
function readCache(dir: string, file: string, key: Buffer): Buffer | undefined {
  let fd: number | undefined;
  try {
    const d = lstatSync(dir);
    if (!d.isDirectory() || !ownedPrivately(d)) return undefined;
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    const st = fstatSync(fd);
    if (!st.isFile() || !ownedPrivately(st) || st.size > MAX_FILE_BYTES) return undefined;
    const buf = Buffer.allocUnsafe(st.size);
    let n = 0;
    while (n < buf.length) {
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) return undefined;
      n += got;
    }
    let at = MAGIC.length;
    if (buf.length < at + 8 || !buf.subarray(0, at).equals(MAGIC)) return undefined;
    const keyLength = buf.readUInt32BE(at);
    at += 4;
    if (keyLength !== key.length || buf.length < at + keyLength + 4 || !buf.subarray(at, at + keyLength).equals(key)) return undefined;
    at += keyLength;
    const crc = buf.readUInt32BE(at);
    const data = buf.subarray(at + 4);
    if (data.length === 0 || crc32(data) !== crc) return undefined;
    return data;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Written to a new file beside it, then renamed into place: readers see the old file or the whole new one. */
function writeCache(root: string, dir: string, file: string, key: Buffer, data: Buffer): void {
  const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
  let fd: number | undefined;
  try {
    // Never a directory of ours in someone else's cache (root under sudo with the user's HOME).
    makeDirs(root);
    if (statSync(root).uid !== process.geteuid?.()) return;
    makeDirs(dir);
    const d = lstatSync(dir);
    if (!d.isDirectory() || !ownedPrivately(d)) return;
    const head = Buffer.alloc(MAGIC.length + 4 + key.length + 4);
    MAGIC.copy(head);
    head.writeUInt32BE(key.length, MAGIC.length);
    key.copy(head, MAGIC.length + 4);
    head.writeUInt32BE(crc32(data), MAGIC.length + 4 + key.length);
    fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    for (const part of [head, data]) {
      let n = 0;
      while (n < part.length) n += writeSync(fd, part, n, part.length - n);
    }
    closeSync(fd);
    fd = undefined;
    renameSync(temp, file);
  } catch {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(temp);
    } catch {
      // never made
    }
  }
}

/**
 * mkdir -p, owner-only. Not mkdirSync's `recursive`: in Node 20 it loops forever where a parent exists but the
 * directory cannot be made and mkdir says ENOENT (XDG_CACHE_HOME=/proc/self/x).
 */
function makeDirs(dir: string): void {
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    if (code !== 'ENOENT' || dirname(dir) === dir) throw err;
    makeDirs(dirname(dir));
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch (again) {
      if ((again as NodeJS.ErrnoException).code !== 'EEXIST') throw again;
    }
  }
}
