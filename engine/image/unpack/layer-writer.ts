// Applies tar entries, one at a time, to the upper directory of a MergedView: the files of one cached layer.
// Every write lands at a path whose directories were resolved by the view (real directories, inside the
// root); files are opened O_EXCL|O_NOFOLLOW and existing entries are removed without being followed, so nothing
// is ever written through a symlink. Whiteouts and opaque directories are collected and turned into overlay
// whiteouts by finish().
import { constants } from 'node:fs';
import { closeSync, fchmodSync, fchownSync, futimesSync, openSync, writeSync } from 'node:fs';
import { copyFile, chmod, lchown, link, lstat, lutimes, mkdir, open, readlink, rm, symlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import type { Header } from 'tar-stream';
import { badLayer, EntryProblem, hostile } from './errors';
import { checkSymlinkTarget, entryComponents, OPAQUE_MARKER, WHITEOUT_PREFIX } from './entry-path';
import type { UnpackLimits } from './limits';
import type { DirInfo, MergedView } from './merged-view';
import { makeSpecialFile, makeWhiteoutDevice } from './special-files';
import { layerOwner } from '../../rootless/layer-owner';

const IS_ROOT = process.getuid?.() === 0;
const SMALL_FILE = 1024 * 1024;

interface ResolvedParent {
  rel: string;
  info: DirInfo;
}

const relJoin = (a: string, b: string): string => (a === '' ? b : `${a}/${b}`);
const partsOf = (rel: string): string[] => (rel === '' ? [] : rel.split('/'));
const parentOf = (rel: string): string => (rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '');
const baseOf = (rel: string): string => rel.slice(rel.lastIndexOf('/') + 1);

async function drain(body: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of body) {
    // discarded: whiteouts and directories carry no data worth keeping
  }
}

function modeOf(h: Header, fallback: number): number {
  return typeof h.mode === 'number' && Number.isFinite(h.mode) ? h.mode & 0o7777 : fallback;
}

function mtimeOf(h: Header): Date {
  const t = h.mtime instanceof Date ? h.mtime.getTime() : NaN;
  return Number.isFinite(t) ? new Date(t) : new Date(0);
}

/** Owner ids: PAX records carry ids too large for the ustar fields. Rootless: as the user's namespace holds them (layer-owner.ts). */
function idsOf(h: Header): { uid: number; gid: number } {
  const pax = (h.pax ?? {}) as Record<string, string>;
  const id = (paxValue: string | undefined, field: number | undefined): number => {
    const n = paxValue !== undefined ? Number(paxValue) : field;
    return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 && n < 2 ** 32 ? n : 0;
  };
  const owner = layerOwner(id(pax.uid, h.uid), id(pax.gid, h.gid));
  if ('unmapped' in owner) throw badLayer(owner.unmapped);
  return owner;
}

async function own(path: string, uid: number, gid: number): Promise<void> {
  if (IS_ROOT) await lchown(path, uid, gid);
}

export interface LayerWriterOptions {
  limits: UnpackLimits;
  allowDevices: boolean;
  /** Where the shared whiteout device is made (outside the layer's files, same filesystem). */
  whiteoutTemplate: string;
}

export class LayerWriter {
  constructor(
    private readonly view: MergedView,
    private readonly opts: LayerWriterOptions,
  ) {}

  async apply(h: Header, body: AsyncIterable<unknown>): Promise<void> {
    const parts = entryComponents(h.name, this.opts.limits);
    if (parts.length === 0) {
      if (h.type !== 'directory') throw badLayer('the image root can only be a directory');
      const { uid, gid } = idsOf(h);
      this.view.dirAttrs.set('', { mode: modeOf(h, 0o755), uid, gid, mtime: mtimeOf(h) });
      return drain(body);
    }
    const name = parts[parts.length - 1];
    const parentParts = parts.slice(0, -1);

    if (name === OPAQUE_MARKER) {
      await drain(body);
      return this.opaque(parentParts);
    }
    if (name.startsWith(WHITEOUT_PREFIX)) {
      await drain(body);
      const hidden = name.slice(WHITEOUT_PREFIX.length);
      if (hidden === '' || hidden === '.' || hidden === '..') throw hostile(`whiteout of "${hidden}" is not a file name`);
      if (hidden.startsWith(WHITEOUT_PREFIX)) throw badLayer('names starting with .wh..wh. are reserved');
      return this.whiteout(parentParts, hidden);
    }

    switch (h.type) {
      case 'directory':
        await drain(body);
        return this.directory(parentParts, name, h);
      case 'file':
      case 'contiguous-file':
        return this.file(parentParts, name, h, body);
      case 'symlink':
        await drain(body);
        return this.symlink(parentParts, name, h);
      case 'link':
        await drain(body);
        return this.hardlink(parentParts, name, h);
      case 'character-device':
      case 'block-device':
      case 'fifo':
        await drain(body);
        // A char device 0/0 is how overlay-based tools write a whiteout into a tar.
        if (h.type === 'character-device' && h.devmajor === 0 && h.devminor === 0) return this.whiteout(parentParts, name);
        if (!this.opts.allowDevices) throw hostile(`${h.type} entries are refused (device nodes in images are not allowed)`);
        return this.special(parentParts, name, h);
      default:
        await drain(body);
        throw badLayer(`unsupported tar entry type ${String(h.type ?? '(unknown)')}`);
    }
  }

  /** Resolves the parent, makes it exist in the upper and clears the leaf (unless a directory stays one). */
  private async leaf(parentParts: string[], name: string, keepDir: boolean, optimistic = false): Promise<{ rel: string; path: string; parent: ResolvedParent; keptDir: boolean }> {
    const parent = (await this.view.resolveDir(parentParts, true))!;
    await this.view.ensureUpperDir(partsOf(parent.rel), parent.info);
    const rel = relJoin(parent.rel, name);
    const path = this.view.upperPath(rel);
    // A lower directory at this path is shadowed from now on; nothing below it may stay cached.
    this.view.forget(rel);
    // `optimistic`: the caller creates with O_EXCL and comes back without it only if something is in the way.
    if (optimistic) return { rel, path, parent, keptDir: false };
    const existing = await lstat(path).catch(() => undefined);
    if (existing && keepDir && existing.isDirectory()) return { rel, path, parent, keptDir: true };
    if (existing) await rm(path, { recursive: true, force: true });
    return { rel, path, parent, keptDir: false };
  }

  private async directory(parentParts: string[], name: string, h: Header): Promise<void> {
    const { rel, path, parent, keptDir } = await this.leaf(parentParts, name, true);
    if (!keptDir) await mkdir(path, { mode: 0o700 });
    const { uid, gid } = idsOf(h);
    this.view.dirAttrs.set(rel, { mode: modeOf(h, 0o755), uid, gid, mtime: mtimeOf(h) });
    this.view.forget(rel);
    await this.view.lookupChild(parent.rel, parent.info, name);
  }

  private async file(parentParts: string[], name: string, h: Header, body: AsyncIterable<unknown>): Promise<void> {
    const { path } = await this.leaf(parentParts, name, false, true);
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
    if ((h.size ?? Infinity) <= SMALL_FILE) {
      const chunks: Buffer[] = [];
      for await (const c of body) chunks.push(c as Buffer);
      const data = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      let fd: number;
      try {
        fd = openSync(path, flags, 0o600);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        await this.leaf(parentParts, name, false);
        fd = openSync(path, flags, 0o600);
      }
      try {
        let off = 0;
        while (off < data.length) off += writeSync(fd, data, off, data.length - off);
        const { uid, gid } = idsOf(h);
        if (IS_ROOT) fchownSync(fd, uid, gid);
        fchmodSync(fd, modeOf(h, 0o644));
        const t = mtimeOf(h);
        futimesSync(fd, t, t);
      } finally {
        closeSync(fd);
      }
      return;
    }
    const fh = await open(path, flags, 0o600).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
      await this.leaf(parentParts, name, false);
      return open(path, flags, 0o600);
    });
    try {
      for await (const chunk of body) {
        const buf = chunk as Uint8Array;
        let off = 0;
        while (off < buf.length) off += (await fh.write(buf, off, buf.length - off)).bytesWritten;
      }
      const { uid, gid } = idsOf(h);
      if (IS_ROOT) await fh.chown(uid, gid);
      // After chown, which clears setuid/setgid. Those bits are kept as the image says: the container's user
      // namespace and no_new_privs decide what they can do, as with every other runtime.
      await fh.chmod(modeOf(h, 0o644));
      const t = mtimeOf(h);
      await fh.utimes(t, t);
    } finally {
      await fh.close();
    }
  }

  private async symlink(parentParts: string[], name: string, h: Header): Promise<void> {
    const target = h.linkname ?? '';
    checkSymlinkTarget(target, this.opts.limits);
    const { path } = await this.leaf(parentParts, name, false);
    await symlink(target, path);
    const { uid, gid } = idsOf(h);
    await own(path, uid, gid);
    const t = mtimeOf(h);
    await lutimes(path, t, t);
  }

  private async hardlink(parentParts: string[], name: string, h: Header): Promise<void> {
    const linkname = h.linkname ?? '';
    let targetParts: string[];
    try {
      targetParts = entryComponents(linkname, this.opts.limits);
    } catch (err) {
      if (err instanceof EntryProblem) throw new EntryProblem(err.code, `hardlink target ${JSON.stringify(linkname)}: ${err.message}`);
      throw err;
    }
    if (targetParts.length === 0) throw hostile('hardlink to the image root (a directory)');
    // The target's directories resolve like any path (symlinks scoped, escapes refused); the target itself is
    // not followed, as link(2) does not follow it.
    const targetParent = await this.view.resolveDir(targetParts.slice(0, -1), false);
    const targetName = targetParts[targetParts.length - 1];
    const found = targetParent && (await this.view.lookupChild(targetParent.rel, targetParent.info, targetName));
    if (!found) throw badLayer(`hardlink target ${JSON.stringify(linkname)} does not exist`);
    if (found.kind === 'dir') throw hostile(`hardlink target ${JSON.stringify(linkname)} is a directory`);
    const targetRel = relJoin(targetParent!.rel, targetName);
    const { rel, path } = await this.leaf(parentParts, name, false);
    if (rel === targetRel) return;
    const source = join(this.view.layerRoot(found.layer), targetRel);
    if (found.layer < 0) {
      await link(source, path);
      return;
    }
    // The target lives in a lower layer: a layer cannot hardlink into another, so it gets its own copy (the
    // same thing overlayfs copy-up does).
    const st = found.stats;
    if (found.kind === 'symlink') {
      await symlink(await readlink(source), path);
    } else if (found.kind === 'file') {
      await copyFile(source, path, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
    } else {
      throw badLayer(`hardlink target ${JSON.stringify(linkname)} is a special file in a lower layer`);
    }
    await own(path, st.uid, st.gid);
    if (found.kind === 'file') await chmod(path, st.mode & 0o7777);
    await lutimes(path, st.atime, st.mtime);
  }

  private async special(parentParts: string[], name: string, h: Header): Promise<void> {
    const { path } = await this.leaf(parentParts, name, false);
    const type = h.type as 'character-device' | 'block-device' | 'fifo';
    await makeSpecialFile(path, type, h.devmajor ?? 0, h.devminor ?? 0, modeOf(h, 0o600));
    const { uid, gid } = idsOf(h);
    await own(path, uid, gid);
    await chmod(path, modeOf(h, 0o600));
  }

  private async whiteout(parentParts: string[], name: string): Promise<void> {
    // The directory must resolve inside the root like any write; if it does not exist there is nothing to hide.
    const parent = await this.view.resolveDir(parentParts, false);
    if (!parent) return;
    const rel = relJoin(parent.rel, name);
    this.view.whiteouts.add(rel);
    this.view.forget(rel);
  }

  private async opaque(dirParts: string[]): Promise<void> {
    const dir = (await this.view.resolveDir(dirParts, true))!;
    await this.view.ensureUpperDir(partsOf(dir.rel), dir.info);
    this.view.opaques.add(dir.rel);
    this.view.invalidate(dir.rel);
    dir.info.lowers = [];
    this.view.remember(dir.rel, dir.info);
  }

  /**
   * Turns this layer's whiteouts into overlay whiteouts (a shared char 0/0 device hardlinked in place) and
   * returns their paths. Opaque directories are expanded into one whiteout per lower name: the chain below is
   * fixed (the cache key is the chain ID), so this is exact, and it needs no `trusted.overlay.opaque` xattr,
   * which Node cannot set. A same-layer entry wins over a whiteout of the same name (OCI image spec).
   */
  async finish(): Promise<{ whiteouts: string[]; overlayWhiteouts: boolean }> {
    const marks = new Set<string>();
    for (const w of this.view.whiteouts) {
      const info = await this.view.dirInfo(parentOf(w), true);
      const lower = info && (await this.view.lookupChild(parentOf(w), info, baseOf(w), true));
      if (!lower) continue;
      const mine = await lstat(this.view.upperPath(w)).catch(() => undefined);
      if (!mine) marks.add(w);
      // Whiteout then a new directory of the same name: the new one must not merge with the old one.
      else if (mine.isDirectory() && lower.kind === 'dir') await this.hideLower(w, marks);
    }
    for (const o of [...this.view.opaques].sort()) await this.hideLower(o, marks);

    const sorted = [...marks].sort();
    let overlayWhiteouts = true;
    if (sorted.length > 0) overlayWhiteouts = await makeWhiteoutDevice(this.opts.whiteoutTemplate);
    for (const m of sorted) {
      const parent = parentOf(m);
      const info = await this.view.dirInfo(parent);
      if (!info) throw badLayer(`cannot place the whiteout for "${m}": its directory is gone`);
      await this.view.ensureUpperDir(partsOf(parent), info);
      if (overlayWhiteouts) await link(this.opts.whiteoutTemplate, this.view.upperPath(m));
    }
    await this.applyDirAttrs();
    return { whiteouts: sorted, overlayWhiteouts };
  }

  private async hideLower(rel: string, marks: Set<string>): Promise<void> {
    for (const [name, lower] of await this.view.lowerListing(rel)) {
      const child = relJoin(rel, name);
      const mine = await lstat(this.view.upperPath(child)).catch(() => undefined);
      if (!mine) marks.add(child);
      else if (mine.isDirectory() && lower.kind === 'dir') await this.hideLower(child, marks);
    }
  }

  /** Deepest first, so setting a parent's mtime is not undone by touching its children. */
  private async applyDirAttrs(): Promise<void> {
    const attrs = this.view.dirAttrs;
    if (!attrs.has('')) attrs.set('', { mode: 0o755, uid: 0, gid: 0, mtime: new Date(0) });
    const depth = (rel: string): number => (rel === '' ? 0 : rel.split('/').length);
    for (const rel of [...attrs.keys()].sort((a, b) => depth(b) - depth(a))) {
      const a = attrs.get(rel)!;
      const path = this.view.upperPath(rel);
      const st = await lstat(path).catch(() => undefined);
      if (!st?.isDirectory()) continue;
      await own(path, a.uid, a.gid);
      await chmod(path, a.mode);
      await utimes(path, a.mtime, a.mtime);
    }
  }
}
