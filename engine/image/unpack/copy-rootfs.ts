// The fallback when overlayfs is unavailable: apply cached layers bottom-up into a plain directory. Whiteouts
// come from each layer's meta (so this works whether or not the layer holds overlay whiteout devices), and are
// removed without following symlinks. Files are copied with FICLONE (a reflink where the filesystem can, e.g.
// btrfs or xfs; a full copy on ext4), never hardlinked: a hardlink would let one container's writes change the
// cache and every other container. Hardlinks inside a layer stay hardlinks.
import { constants, type Stats } from 'node:fs';
import { chmod, copyFile, lchown, link, lstat, lutimes, mkdir, readdir, readlink, rm, symlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { makeSpecialFile } from './special-files';

const IS_ROOT = process.getuid?.() === 0;

export interface CopyLayer {
  root: string;
  whiteouts: readonly string[];
}

async function setAttrs(path: string, st: Stats, isLink: boolean): Promise<void> {
  if (IS_ROOT) await lchown(path, st.uid, st.gid);
  if (!isLink) await chmod(path, st.mode & 0o7777);
  await lutimes(path, st.atime, st.mtime);
}

/** Removes `rel` under `dest` if every directory on the way is a real directory; never follows a symlink. */
async function removeInside(dest: string, rel: string): Promise<void> {
  const parts = rel.split('/');
  let cur = dest;
  for (const p of parts.slice(0, -1)) {
    cur = join(cur, p);
    const st = await lstat(cur).catch(() => undefined);
    if (!st?.isDirectory()) return;
  }
  await rm(join(cur, parts[parts.length - 1]), { recursive: true, force: true });
}

function devNumbers(rdev: number): { major: number; minor: number } {
  // glibc's gnu_dev_major/minor encoding.
  const major = Number((BigInt(rdev) >> 8n) & 0xfffn) | Number((BigInt(rdev) >> 32n) & ~0xfffn);
  const minor = Number(BigInt(rdev) & 0xffn) | Number((BigInt(rdev) >> 12n) & ~0xffn);
  return { major, minor };
}

async function copyTree(src: string, dest: string, rel: string, skip: ReadonlySet<string>, links: Map<string, string>): Promise<void> {
  const dirs: Array<{ path: string; st: Stats }> = [];
  for (const entry of await readdir(src)) {
    const childRel = rel === '' ? entry : `${rel}/${entry}`;
    if (skip.has(childRel)) continue;
    const from = join(src, entry);
    const to = join(dest, entry);
    const st = await lstat(from);
    const existing = await lstat(to).catch(() => undefined);
    if (st.isDirectory()) {
      if (!existing?.isDirectory()) {
        if (existing) await rm(to, { force: true });
        await mkdir(to, { mode: 0o700 });
      }
      await copyTree(from, to, childRel, skip, links);
      dirs.push({ path: to, st });
      continue;
    }
    if (existing) await rm(to, { recursive: true, force: true });
    if (st.isSymbolicLink()) {
      await symlink(await readlink(from), to);
      await setAttrs(to, st, true);
    } else if (st.isFile()) {
      const key = `${st.dev}:${st.ino}`;
      const first = st.nlink > 1 ? links.get(key) : undefined;
      if (first) {
        await link(first, to);
        continue;
      }
      await copyFile(from, to, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
      await setAttrs(to, st, false);
      if (st.nlink > 1) links.set(key, to);
    } else {
      const type = st.isFIFO() ? 'fifo' : st.isBlockDevice() ? 'block-device' : 'character-device';
      const { major, minor } = devNumbers(st.rdev);
      await makeSpecialFile(to, type, major, minor, st.mode);
      await setAttrs(to, st, false);
    }
  }
  for (const d of dirs) await setAttrs(d.path, d.st, false);
}

/** Builds the rootfs at `dest` (an empty directory) from `layers`, bottom first. */
export async function copyLayers(layers: readonly CopyLayer[], dest: string): Promise<void> {
  for (const layer of layers) {
    for (const w of layer.whiteouts) await removeInside(dest, w);
    await copyTree(layer.root, dest, '', new Set(layer.whiteouts), new Map());
    const top = await lstat(layer.root);
    if (IS_ROOT) await lchown(dest, top.uid, top.gid);
    await chmod(dest, top.mode & 0o7777);
    await utimes(dest, top.atime, top.mtime);
  }
}
