// Unpacks every layer of a stored image into the layer cache (skipping cached ones) under the store lease, and
// reports where each layer's files are.
import type { ImageStore } from '../store';
import { chainIds } from '../store/chain-id';
import { ImageError, type Digest, type Platform, type PullProgress } from '../types';
import { sniffFile } from './decompress';
import { resolveImageManifest, type ResolvedImage } from './image-manifest';
import { ensureLayer, layerRoot } from './layer-cache';
import type { LayerMeta } from './layer-meta';
import { unpackLimits, type UnpackLimits } from './limits';

export interface UnpackOptions {
  platform?: Platform;
  limits?: Partial<UnpackLimits>;
  /** Create device nodes and fifos found in layers (refused by default). */
  allowDevices?: boolean;
  onProgress?: (p: PullProgress) => void;
}

export interface UnpackedLayer {
  chainId: Digest;
  diffId: Digest;
  blob: Digest;
  /** The layer's files. */
  root: string;
  meta: LayerMeta;
  cached: boolean;
}

export interface UnpackedImage extends ResolvedImage {
  /** Bottom first. */
  layers: UnpackedLayer[];
}

export async function unpackImage(store: ImageStore, digest: Digest, opts: UnpackOptions = {}): Promise<UnpackedImage> {
  const limits = unpackLimits(opts.limits);
  return store.withLease(async () => {
    const image = await resolveImageManifest(store.blobs, digest, limits, opts.platform);
    const chains = chainIds(image.diffIds);
    const layers: UnpackedLayer[] = [];
    let used = 0;
    for (let i = 0; i < image.manifest.layers.length; i++) {
      const desc = image.manifest.layers[i];
      const size = await store.blobs.size(desc.digest);
      if (size === undefined) throw new ImageError(`layer ${desc.digest} is not in the image store (pull the image first)`, 'NOT_FOUND');
      if (size !== desc.size) throw new ImageError(`layer ${desc.digest} is ${size} bytes in the store, the manifest says ${desc.size}`, 'SIZE_MISMATCH');
      opts.onProgress?.({ type: 'unpack-start', digest: desc.digest });
      const blobPath = store.blobs.path(desc.digest);
      const { meta, cached } = await ensureLayer(
        store.paths,
        {
          chainId: chains[i],
          diffId: image.diffIds[i],
          blob: desc.digest,
          blobPath,
          compression: await sniffFile(blobPath),
          below: chains.slice(0, i),
        },
        { limits, budget: limits.rootfsBytes - used, allowDevices: opts.allowDevices ?? false },
      );
      used += meta.tarBytes;
      if (used > limits.rootfsBytes) {
        throw new ImageError(`image ${image.manifestDigest}: layers add up to more than the rootfs limit of ${limits.rootfsBytes} bytes`, 'TOO_LARGE');
      }
      opts.onProgress?.({ type: 'unpack-done', digest: desc.digest, cached });
      layers.push({ chainId: chains[i], diffId: image.diffIds[i], blob: desc.digest, root: layerRoot(store.paths, chains[i]), meta, cached });
    }
    return { ...image, layers };
  });
}
