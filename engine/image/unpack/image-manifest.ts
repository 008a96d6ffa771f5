// From a stored digest (an index or a manifest) to the manifest and config to unpack, with every bound the
// limits set checked before any layer is touched.
import { isIndexType, isLayerType, isManifestType, DOCKER_SCHEMA1, DOCKER_SCHEMA1_SIGNED } from '../media-types';
import { hostPlatform, selectManifest } from '../registry/platform';
import { ImageError, type Digest, type ImageConfig, type ImageIndex, type ImageManifest, type Platform } from '../types';
import type { BlobStore } from '../store/blobs';
import { isDigest } from '../store/digest';
import type { UnpackLimits } from './limits';

export interface ResolvedImage {
  manifestDigest: Digest;
  manifest: ImageManifest;
  config: ImageConfig;
  diffIds: Digest[];
}

const MAX_INDEX_DEPTH = 2;

export async function resolveImageManifest(blobs: BlobStore, digest: Digest, limits: UnpackLimits, platform: Platform = hostPlatform()): Promise<ResolvedImage> {
  let current = digest;
  for (let depth = 0; ; depth++) {
    const doc = await blobs.readJson<Omit<Partial<ImageIndex & ImageManifest>, 'schemaVersion'> & { schemaVersion?: number }>(current, limits.manifestBytes);
    const mediaType = doc.mediaType ?? '';
    if (mediaType === DOCKER_SCHEMA1 || mediaType === DOCKER_SCHEMA1_SIGNED || doc.schemaVersion === 1) {
      throw new ImageError(`${current} is a Docker schema 1 manifest, which is not supported`, 'UNSUPPORTED_MEDIA_TYPE');
    }
    if (Array.isArray(doc.manifests) || isIndexType(mediaType)) {
      if (depth >= MAX_INDEX_DEPTH) throw new ImageError(`${digest}: indexes nested too deeply`, 'BAD_IMAGE');
      current = selectManifest(doc as ImageIndex, platform).digest;
      continue;
    }
    if (mediaType && !isManifestType(mediaType)) throw new ImageError(`${current} has unsupported media type ${mediaType}`, 'UNSUPPORTED_MEDIA_TYPE');
    return checkManifest(blobs, current, doc as ImageManifest, limits);
  }
}

async function checkManifest(blobs: BlobStore, digest: Digest, manifest: ImageManifest, limits: UnpackLimits): Promise<ResolvedImage> {
  const bad = (why: string): ImageError => new ImageError(`manifest ${digest}: ${why}`, 'BAD_IMAGE');
  if (!manifest.config || !isDigest(manifest.config.digest)) throw bad('it has no valid config descriptor');
  if (!Array.isArray(manifest.layers)) throw bad('it has no layers list');
  if (manifest.layers.length > limits.layers) {
    throw new ImageError(`manifest ${digest}: ${manifest.layers.length} layers; the limit is ${limits.layers}`, 'TOO_LARGE');
  }
  for (const l of manifest.layers) {
    if (!l || !isDigest(l.digest)) throw bad('a layer descriptor has no valid digest');
    if (!isLayerType(l.mediaType)) throw new ImageError(`layer ${l.digest} has media type ${l.mediaType}, which is not an image layer`, 'UNSUPPORTED_MEDIA_TYPE');
    if (!(Number.isSafeInteger(l.size) && l.size >= 0)) throw bad(`layer ${l.digest} has an invalid size`);
    if (l.size > limits.layerCompressedBytes) {
      throw new ImageError(`layer ${l.digest} is ${l.size} bytes compressed; the limit is ${limits.layerCompressedBytes}`, 'TOO_LARGE');
    }
  }
  const config = await blobs.readJson<ImageConfig>(manifest.config.digest, limits.configBytes);
  const diffIds = config.rootfs?.diff_ids;
  if (!Array.isArray(diffIds) || !diffIds.every(isDigest)) throw bad('its config has no valid rootfs.diff_ids');
  if (diffIds.length !== manifest.layers.length) {
    throw bad(`its config lists ${diffIds.length} diff_ids for ${manifest.layers.length} layers`);
  }
  return { manifestDigest: digest, manifest, config, diffIds };
}
