// `layers/<chain hex>/meta.json`: what a cached layer is. It is written last, inside the temp dir that is then
// renamed into place, so a layer dir without it does not exist as far as anyone is concerned.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Digest } from '../types';

export interface LayerMeta {
  schemaVersion: 1;
  chainId: Digest;
  diffId: Digest;
  /** The compressed blob it was unpacked from. */
  blob: Digest;
  /** Chain ID of the layer below, null for the base layer. */
  parent: Digest | null;
  /** Uncompressed tar size: what the rootfs limit counts. */
  tarBytes: number;
  entries: number;
  /** Paths this layer hides in the layers below (opaque dirs expanded), sorted. */
  whiteouts: string[];
  /** Whether the whiteouts also exist as overlay whiteout devices in root/ (needs root to create). */
  overlayWhiteouts: boolean;
  unpackedAt: string;
}

export const LAYER_ROOT = 'root';
export const LAYER_META = 'meta.json';

export async function readLayerMeta(layerDir: string): Promise<LayerMeta | undefined> {
  try {
    const meta = JSON.parse(await readFile(join(layerDir, LAYER_META), 'utf8')) as LayerMeta;
    return meta.schemaVersion === 1 ? meta : undefined;
  } catch {
    return undefined;
  }
}
