// Cached unpacked layers, `layers/<chain hex>/{root,meta.json}`. A layer is unpacked into a private temp dir
// next to the cache and renamed into place only when complete and verified; on any failure the temp dir is
// removed, so a refused layer leaves nothing behind. One process unpacks a given layer at a time (layer lock);
// the others wait and then find it cached.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Digest } from '../types';
import type { StorePaths } from '../store/paths';
import { acquireLock } from '../store/lock';
import type { Compression } from '../media-types';
import { extractLayer } from './extract-layer';
import { LAYER_META, LAYER_ROOT, readLayerMeta, type LayerMeta } from './layer-meta';
import type { UnpackLimits } from './limits';
import type { LowerLayer } from './merged-view';

export interface LayerToUnpack {
  chainId: Digest;
  diffId: Digest;
  blob: Digest;
  blobPath: string;
  compression: Compression;
  /** Chain IDs of the layers below, bottom first (all cached already). */
  below: Digest[];
}

export function layerRoot(paths: StorePaths, chainId: Digest): string {
  return join(paths.layer(chainId), LAYER_ROOT);
}

/** Flushes the filesystem holding `dir` (syncfs), so a crash cannot leave a renamed layer with empty files. */
function syncFilesystem(dir: string): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn('sync', ['-f', dir], { stdio: 'ignore' });
    child.on('error', () => resolve());
    child.on('close', () => resolve());
  });
}

async function lowerLayers(paths: StorePaths, below: Digest[]): Promise<LowerLayer[]> {
  const out: LowerLayer[] = [];
  for (const c of [...below].reverse()) {
    const meta = await readLayerMeta(paths.layer(c));
    if (!meta) throw new Error(`layer ${c} should be cached but is not`);
    out.push({ root: layerRoot(paths, c), whiteouts: new Set(meta.whiteouts) });
  }
  return out;
}

export async function ensureLayer(
  paths: StorePaths,
  layer: LayerToUnpack,
  opts: { limits: UnpackLimits; budget: number; allowDevices: boolean },
): Promise<{ meta: LayerMeta; cached: boolean }> {
  const dir = paths.layer(layer.chainId);
  const hit = await readLayerMeta(dir);
  if (hit) return { meta: hit, cached: true };

  const lock = await acquireLock(paths.layerLock(layer.chainId), 'exclusive');
  try {
    const raced = await readLayerMeta(dir);
    if (raced) return { meta: raced, cached: true };
    const tmp = join(paths.layers, `.tmp-${randomBytes(8).toString('hex')}`);
    await mkdir(join(tmp, LAYER_ROOT), { recursive: true, mode: 0o700 });
    try {
      const template = join(tmp, 'whiteout');
      const result = await extractLayer({
        layer: layer.blob,
        blobPath: layer.blobPath,
        compression: layer.compression,
        diffId: layer.diffId,
        upper: join(tmp, LAYER_ROOT),
        whiteoutTemplate: template,
        lowers: await lowerLayers(paths, layer.below),
        limits: opts.limits,
        budget: opts.budget,
        allowDevices: opts.allowDevices,
      });
      await unlink(template).catch(() => {});
      const meta: LayerMeta = {
        schemaVersion: 1,
        chainId: layer.chainId,
        diffId: layer.diffId,
        blob: layer.blob,
        parent: layer.below.length ? layer.below[layer.below.length - 1] : null,
        tarBytes: result.tarBytes,
        entries: result.entries,
        whiteouts: result.whiteouts,
        overlayWhiteouts: result.overlayWhiteouts,
        unpackedAt: new Date().toISOString(),
      };
      await writeFile(join(tmp, LAYER_META), JSON.stringify(meta) + '\n', { mode: 0o644 });
      await syncFilesystem(tmp);
      // A directory without meta.json is debris from outside our control (we never rename one in): replace it.
      if (await stat(dir).catch(() => undefined)) await rm(dir, { recursive: true, force: true });
      await rename(tmp, dir);
      return { meta, cached: false };
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw err;
    }
  } finally {
    await lock.unlinkAndRelease();
  }
}
