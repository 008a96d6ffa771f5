// Where Podsmith's unpack time goes, layer by layer, on the very blobs the bench pulls (read from the OCI
// layout: no network). Stages, each on the same bytes:
//
//   gunzip    decompressFile() drained                                            (zlib)
//   +parse    + sha256 of the tar + forEachTarEntry(), bodies drained              (tar-stream)
//   async     + the syscalls LayerWriter makes for each entry, with fs.promises: mkdir / symlink /
//               open(O_EXCL) write fchown fchmod futimes close, one awaited call after the other
//   sync      the same syscalls with the *Sync calls (no thread-pool round trip per call)
//   extract   extractLayer(): the engine's real path (MergedView resolution, LayerWriter), no sync
//   syncfs    `sync -f` right after extract, as ensureLayer does
//
// extract − async is the engine's own logic; async − sync is what per-call thread-pool hand-offs cost.
// File creation speed here depends on the filesystem's recent history (see pull.ts), so the order of the three
// writers rotates from layer to layer; one run each keeps the profile to a few seconds.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, constants, fchmodSync, fchownSync, futimesSync, mkdirSync, openSync, symlinkSync, writeSync } from 'node:fs';
import { mkdir, open, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Header } from 'tar-stream';
import { decompressFile } from '../engine/image/unpack/decompress';
import { extractLayer } from '../engine/image/unpack/extract-layer';
import { unpackLimits } from '../engine/image/unpack/limits';
import type { LowerLayer } from '../engine/image/unpack/merged-view';
import { forEachTarEntry } from '../engine/image/unpack/tar-reader';
import type { BenchImage } from './pull-image';

export interface LayerProfile {
  tarBytes: number;
  entries: number;
  gunzipMs: number;
  parseMs: number;
  asyncWritesMs: number;
  syncWritesMs: number;
  extractMs: number;
  syncfsMs: number;
}

type Timings = Omit<LayerProfile, 'tarBytes' | 'entries'>;

export interface UnpackProfile {
  layers: LayerProfile[];
  total: Timings;
}

const IS_ROOT = process.getuid?.() === 0;
const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

async function drain(source: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of source) {
    // only the time it takes to produce
  }
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

async function* hashed(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const hash = createHash('sha256');
  for await (const c of source) {
    hash.update(c);
    yield c;
  }
  hash.digest();
}

async function bodyOf(body: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const mtime = (h: Header): Date => h.mtime ?? new Date(0);

/**
 * LayerWriter's syscalls for plain entries, without its path logic. Whiteouts, hardlinks and entries whose
 * directory is missing (this layer alone, without the ones below) are skipped: a handful per layer.
 */
async function rawWrite(blobPath: string, dest: string, sync: boolean): Promise<void> {
  await forEachTarEntry(hashed(decompressFile(blobPath, 'gzip', unpackLimits())), async (h, body) => {
    const name = h.name.replace(/\/$/, '');
    const base = name.slice(name.lastIndexOf('/') + 1);
    if (base.startsWith('.wh.') || name === '' || name === '.') return;
    const path = join(dest, name);
    const skipMissing = (err: NodeJS.ErrnoException): void => {
      if (err.code !== 'ENOENT' && err.code !== 'EEXIST') throw err;
    };
    if (h.type === 'directory') {
      if (sync) mkdirSync(path, { recursive: true });
      else await mkdir(path, { recursive: true });
    } else if (h.type === 'symlink') {
      try {
        if (sync) symlinkSync(h.linkname ?? '', path);
        else await symlink(h.linkname ?? '', path);
      } catch (err) {
        skipMissing(err as NodeJS.ErrnoException);
      }
    } else if (h.type === 'file') {
      const data = await bodyOf(body);
      const mode = (h.mode ?? 0o644) & 0o7777;
      if (sync) {
        let fd: number;
        try {
          fd = openSync(path, CREATE, 0o600);
        } catch (err) {
          return skipMissing(err as NodeJS.ErrnoException);
        }
        try {
          let off = 0;
          while (off < data.length) off += writeSync(fd, data, off, data.length - off);
          if (IS_ROOT) fchownSync(fd, h.uid ?? 0, h.gid ?? 0);
          fchmodSync(fd, mode);
          futimesSync(fd, mtime(h), mtime(h));
        } finally {
          closeSync(fd);
        }
      } else {
        const fh = await open(path, CREATE, 0o600).catch((err: NodeJS.ErrnoException) => skipMissing(err));
        if (!fh) return;
        try {
          let off = 0;
          while (off < data.length) off += (await fh.write(data, off, data.length - off)).bytesWritten;
          if (IS_ROOT) await fh.chown(h.uid ?? 0, h.gid ?? 0);
          await fh.chmod(mode);
          await fh.utimes(mtime(h), mtime(h));
        } finally {
          await fh.close();
        }
      }
    }
  });
}

function syncfs(dir: string): number {
  const t = performance.now();
  spawnSync('sync', ['-f', dir]);
  return performance.now() - t;
}

export async function profileUnpack(image: BenchImage, dir: string): Promise<{ text: string; json: UnpackProfile }> {
  const limits = unpackLimits();
  const lowers: LowerLayer[] = [];
  const layers: LayerProfile[] = [];
  let n = 0;
  const fresh = (): string => {
    const d = join(dir, `w${n++}`);
    mkdirSync(join(d, 'root'), { recursive: true });
    return d;
  };
  for (let i = 0; i < image.layers.length; i++) {
    const l = image.layers[i];
    const blobPath = join(image.layout, 'blobs', 'sha256', l.digest.slice(7));
    const gunzipMs = await timed(() => drain(decompressFile(blobPath, 'gzip', limits)));
    const parseMs = await timed(() => forEachTarEntry(hashed(decompressFile(blobPath, 'gzip', limits)), async (_h, body) => drain(body)));

    const t: Pick<Timings, 'asyncWritesMs' | 'syncWritesMs' | 'extractMs' | 'syncfsMs'> = { asyncWritesMs: 0, syncWritesMs: 0, extractMs: 0, syncfsMs: 0 };
    const steps = ['async', 'sync', 'extract'] as const;
    for (const step of [...steps.slice(i % 3), ...steps.slice(0, i % 3)]) {
      // Each writer starts with nothing dirty, so none pays for another's writeback.
      spawnSync('sync');
      const d = fresh();
      if (step === 'async') t.asyncWritesMs = await timed(() => rawWrite(blobPath, join(d, 'root'), false));
      else if (step === 'sync') t.syncWritesMs = await timed(() => rawWrite(blobPath, join(d, 'root'), true));
      else {
        let whiteouts: string[] = [];
        t.extractMs = await timed(async () => {
          const r = await extractLayer({
            layer: l.digest,
            blobPath,
            compression: 'gzip',
            diffId: l.diffId,
            upper: join(d, 'root'),
            whiteoutTemplate: join(d, 'whiteout'),
            lowers: [...lowers],
            limits,
            budget: limits.rootfsBytes,
            allowDevices: false,
          });
          whiteouts = r.whiteouts;
        });
        t.syncfsMs = syncfs(d);
        lowers.unshift({ root: join(d, 'root'), whiteouts: new Set(whiteouts) });
      }
    }
    layers.push({ tarBytes: l.tarBytes, entries: l.entries, gunzipMs, parseMs, ...t });
  }
  const sum = (k: keyof Timings): number => layers.reduce((s, l) => s + l[k], 0);
  const total: Timings = {
    gunzipMs: sum('gunzipMs'),
    parseMs: sum('parseMs'),
    asyncWritesMs: sum('asyncWritesMs'),
    syncWritesMs: sum('syncWritesMs'),
    extractMs: sum('extractMs'),
    syncfsMs: sum('syncfsMs'),
  };

  const cols: [keyof Timings, string][] = [
    ['gunzipMs', 'gunzip'],
    ['parseMs', '+parse'],
    ['asyncWritesMs', 'async'],
    ['syncWritesMs', 'sync'],
    ['extractMs', 'extract'],
    ['syncfsMs', 'syncfs'],
  ];
  const line = (label: string, p: Timings): string => `  ${label.padEnd(30)}${cols.map(([k]) => p[k].toFixed(0).padStart(9)).join('')}`;
  const text = [
    'Where Podsmith unpack time goes (ms, one layer at a time from the stored blobs, writers in rotating order):',
    '  gunzip = decompressFile; +parse = + sha256 + tar-stream; async / sync = parse + the syscalls LayerWriter makes',
    '  per entry, through fs.promises / through *Sync calls; extract = extractLayer (engine, no sync); syncfs = `sync -f`',
    `  ${'layer'.padEnd(30)}${cols.map(([, h]) => h.padStart(9)).join('')}`,
    ...layers.map((p, i) => line(`${i + 1} (${(p.tarBytes / 1048576).toFixed(1)} MiB, ${p.entries} entries)`, p)),
    line('all layers', total),
  ].join('\n');
  return { text, json: { layers, total } };
}
