// Path resolution for one layer being unpacked on top of the cached layers below it, with overlay semantics:
// the new layer's directory (the "upper") shadows the lower layers, directories merge, whiteouts and opaque
// directories hide lower content. The tar is applied to this merged view, the way containerd applies a layer
// onto a mounted snapshot, so `a/b` in layer 3 where layer 1 made `a` a symlink is resolved as an image would.
//
// Every lookup is an lstat of a path whose parent components are already known to be real directories in that
// layer: nothing is ever followed by the kernel. Symlinks met as parent components are followed by us, scoped to
// the image root, and only when relative and staying inside it; an absolute target, a target climbing above the
// root or more than `symlinkDepth` hops are refused (HOSTILE_LAYER): layer producers diff real paths and never
// write through symlinks, so a layer that does is crafted.
import type { Stats } from 'node:fs';
import { lstat, mkdir, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { badLayer, hostile } from './errors';

export interface LowerLayer {
  /** The layer's files. */
  root: string;
  /** Paths this layer hides in the layers below it (its whiteouts, opaque dirs expanded). */
  whiteouts: ReadonlySet<string>;
}

/** Where a merged directory really exists: in the upper, and/or in these lower layers (top first). */
export interface DirInfo {
  upper: boolean;
  lowers: number[];
}

export interface Found {
  kind: 'dir' | 'file' | 'symlink' | 'other';
  /** -1 for the upper, else the index into `lowers`. */
  layer: number;
  stats: Stats;
  dir?: DirInfo;
}

export interface DirAttrs {
  mode: number;
  uid: number;
  gid: number;
  mtime: Date;
}

const kindOf = (st: Stats): Found['kind'] => (st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : 'other');
const relJoin = (a: string, b: string): string => (a === '' ? b : `${a}/${b}`);
const lstatOrUndefined = (p: string): Promise<Stats | undefined> => lstat(p).catch(() => undefined);

export class MergedView {
  private readonly dirs = new Map<string, DirInfo>();
  /** This layer's whiteouts and opaque dirs, as resolved paths. */
  readonly whiteouts = new Set<string>();
  readonly opaques = new Set<string>();
  /** Attributes for directories this layer creates or copies up; applied last (children change mtimes). */
  readonly dirAttrs = new Map<string, DirAttrs>();

  constructor(
    readonly upper: string,
    readonly lowers: readonly LowerLayer[],
    private readonly symlinkDepth: number,
  ) {
    this.dirs.set('', { upper: true, lowers: lowers.map((_, i) => i) });
  }

  upperPath(rel: string): string {
    return rel === '' ? this.upper : join(this.upper, rel);
  }

  layerRoot(layer: number): string {
    return layer < 0 ? this.upper : this.lowers[layer].root;
  }

  /** Forgets cached directories at and below `rel` (after this layer replaced or hid something there). */
  invalidate(rel: string): void {
    for (const k of [...this.dirs.keys()]) {
      if (k !== '' && (rel === '' || k === rel || k.startsWith(rel + '/'))) this.dirs.delete(k);
    }
  }

  /** invalidate(), but cheap when nothing at `rel` is cached (descendants are only cached below a cached dir). */
  forget(rel: string): void {
    if (this.dirs.has(rel)) this.invalidate(rel);
  }

  /** Caches what this layer made a directory at `rel` (created, merged or made opaque). */
  remember(rel: string, info: DirInfo): void {
    this.dirs.set(rel, info);
  }

  /** Lower layers (from `candidates`, top first) that merge into a directory at `rel`, starting with `first`. */
  private async lowerDirChain(rel: string, candidates: number[], first: number): Promise<number[]> {
    const out = [first];
    for (const j of candidates.slice(candidates.indexOf(first) + 1)) {
      if (this.lowers[j].whiteouts.has(rel)) break;
      const st = await lstatOrUndefined(join(this.lowers[j].root, rel));
      if (!st) continue;
      if (!st.isDirectory()) break;
      out.push(j);
    }
    return out;
  }

  /** The first lower layer below which nothing of `rel` shows (its lstat), honouring lower whiteouts. */
  private async lookupLower(rel: string, candidates: number[]): Promise<Found | undefined> {
    for (const i of candidates) {
      if (this.lowers[i].whiteouts.has(rel)) return undefined;
      const st = await lstatOrUndefined(join(this.lowers[i].root, rel));
      if (!st) continue;
      const kind = kindOf(st);
      if (kind !== 'dir') return { kind, layer: i, stats: st };
      return { kind, layer: i, stats: st, dir: { upper: false, lowers: await this.lowerDirChain(rel, candidates, i) } };
    }
    return undefined;
  }

  /** What `name` inside the merged directory `parent` is; `lowerOnly` ignores what this layer did. */
  async lookupChild(parentRel: string, parent: DirInfo, name: string, lowerOnly = false): Promise<Found | undefined> {
    const rel = relJoin(parentRel, name);
    if (!lowerOnly) {
      const cached = this.dirs.get(rel);
      if (cached) {
        const top = cached.upper ? -1 : cached.lowers[0];
        const st = await lstatOrUndefined(join(this.layerRoot(top), rel));
        if (st?.isDirectory()) return { kind: 'dir', layer: top, stats: st, dir: cached };
        this.invalidate(rel);
      }
    }
    const hidden = !lowerOnly && (this.whiteouts.has(rel) || this.opaques.has(parentRel));
    if (!lowerOnly && parent.upper) {
      const st = await lstatOrUndefined(join(this.upper, rel));
      if (st) {
        const kind = kindOf(st);
        if (kind !== 'dir') return { kind, layer: -1, stats: st };
        let lowers: number[] = [];
        if (!hidden && !this.opaques.has(rel)) {
          const below = await this.lookupLower(rel, parent.lowers);
          if (below?.dir) lowers = below.dir.lowers;
        }
        const dir = { upper: true, lowers };
        this.dirs.set(rel, dir);
        return { kind, layer: -1, stats: st, dir };
      }
    }
    if (hidden) return undefined;
    const found = await this.lookupLower(rel, parent.lowers);
    if (found?.dir && !lowerOnly) this.dirs.set(rel, found.dir);
    return found;
  }

  private rootInfo(lowerOnly: boolean): DirInfo {
    if (lowerOnly) return { upper: false, lowers: this.lowers.map((_, i) => i) };
    return this.dirs.get('')!;
  }

  /**
   * Resolves the directory `parts` names (a tar entry's parent), following in-root relative symlinks. With
   * `create`, missing directories are made in the upper (tars may omit parent entries); without, a missing
   * component returns undefined.
   */
  async resolveDir(parts: readonly string[], create: boolean): Promise<{ rel: string; info: DirInfo } | undefined> {
    let stack: string[] = [];
    let info = this.rootInfo(false);
    const queue = [...parts];
    let hops = 0;
    while (queue.length) {
      const name = queue.shift()!;
      const rel = stack.join('/');
      const shown = relJoin(rel, name);
      // Hot path: a directory resolved before. The cache is trusted without an lstat: lower layers never
      // change, and every change this layer makes to the upper invalidates what it touches.
      const known = this.dirs.get(shown);
      if (known) {
        stack.push(name);
        info = known;
        continue;
      }
      const found = await this.lookupChild(rel, info, name);
      if (!found) {
        if (!create) return undefined;
        await this.ensureUpperDir(stack, info);
        await mkdir(this.upperPath(shown), { mode: 0o700 });
        this.dirAttrs.set(shown, { mode: 0o755, uid: 0, gid: 0, mtime: new Date(0) });
        info = { upper: true, lowers: [] };
        this.dirs.set(shown, info);
        stack.push(name);
        continue;
      }
      if (found.kind === 'dir') {
        stack.push(name);
        info = found.dir!;
        continue;
      }
      if (found.kind !== 'symlink') throw badLayer(`"${shown}" is not a directory`);
      if (++hops > this.symlinkDepth) throw hostile(`more than ${this.symlinkDepth} symlinks while resolving "${parts.join('/')}"`);
      const target = await readlink(join(this.layerRoot(found.layer), shown));
      if (target.startsWith('/')) {
        throw hostile(`"${shown}" is a symlink to the absolute path "${target}"; writing through it is refused`);
      }
      const next = [...stack];
      for (const p of target.split('/')) {
        if (p === '' || p === '.') continue;
        if (p === '..') {
          if (next.length === 0) throw hostile(`symlink "${shown}" -> "${target}" points outside the image root`);
          next.pop();
        } else next.push(p);
      }
      queue.unshift(...next);
      stack = [];
      info = this.rootInfo(false);
    }
    return { rel: stack.join('/'), info };
  }

  /** Makes sure every directory of the resolved path `stack` exists in the upper, copying attributes up. */
  async ensureUpperDir(stack: readonly string[], leafInfo?: DirInfo): Promise<void> {
    let rel = '';
    let info = this.rootInfo(false);
    for (let i = 0; i < stack.length; i++) {
      const name = stack[i];
      const childRel = relJoin(rel, name);
      let child = i === stack.length - 1 && leafInfo ? leafInfo : this.dirs.get(childRel);
      if (!child) {
        const found = await this.lookupChild(rel, info, name);
        if (!found?.dir) throw badLayer(`"${childRel}" is not a directory`);
        child = found.dir;
      }
      if (!child.upper) {
        const src = await lstat(join(this.lowers[child.lowers[0]].root, childRel));
        await mkdir(this.upperPath(childRel), { mode: 0o700 });
        this.dirAttrs.set(childRel, { mode: src.mode & 0o7777, uid: src.uid, gid: src.gid, mtime: src.mtime });
        child.upper = true;
        this.dirs.set(childRel, child);
      }
      rel = childRel;
      info = child;
    }
  }

  /** Resolved-path directory info, for paths already known to be directories in the merged view. */
  async dirInfo(rel: string, lowerOnly = false): Promise<DirInfo | undefined> {
    if (rel === '') return this.rootInfo(lowerOnly);
    if (!lowerOnly && this.dirs.has(rel)) return this.dirs.get(rel);
    let info = this.rootInfo(lowerOnly);
    let cur = '';
    for (const name of rel.split('/')) {
      const found = await this.lookupChild(cur, info, name, lowerOnly);
      if (!found?.dir) return undefined;
      info = found.dir;
      cur = relJoin(cur, name);
    }
    return info;
  }

  /** Names visible in the lower layers' merged directory `rel`, with what they are. */
  async lowerListing(rel: string): Promise<Map<string, Found>> {
    const out = new Map<string, Found>();
    const info = await this.dirInfo(rel, true);
    if (!info) return out;
    const seen = new Set<string>();
    for (const i of info.lowers) {
      for (const name of await readdir(rel === '' ? this.lowers[i].root : join(this.lowers[i].root, rel))) {
        if (seen.has(name)) continue;
        seen.add(name);
        const found = await this.lookupChild(rel, info, name, true);
        if (found) out.set(name, found);
      }
    }
    return out;
  }
}
