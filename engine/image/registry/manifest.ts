// Reads manifest documents (OCI manifest and index, Docker v2 schema 2 manifest and manifest list) and checks
// them against the pull limits before anything they point at is downloaded.
import {
  DOCKER_SCHEMA1,
  DOCKER_SCHEMA1_SIGNED,
  isConfigType,
  isIndexType,
  isLayerType,
  isManifestType,
  OCI_INDEX,
  OCI_MANIFEST,
} from '../media-types';
import { isDigest } from '../reference';
import { ImageError, type Descriptor, type ImageConfig, type ImageIndex, type ImageManifest } from '../types';
import { REGISTRY_LIMITS } from './limits';

export type ManifestDocument = { kind: 'index'; mediaType: string; index: ImageIndex } | { kind: 'manifest'; mediaType: string; manifest: ImageManifest };

function bad(what: string, why: string): ImageError {
  return new ImageError(`${what} is not a valid manifest: ${why}`, 'INVALID_MANIFEST');
}

function isObject(x: unknown): x is Record<string, unknown> {
  return !!x && typeof x === 'object' && !Array.isArray(x);
}

export function checkDescriptor(d: unknown, what: string, where: string): Descriptor {
  if (!isObject(d)) throw bad(what, `${where} is not an object`);
  if (typeof d.mediaType !== 'string' || !d.mediaType) throw bad(what, `${where} has no mediaType`);
  if (typeof d.digest !== 'string') throw bad(what, `${where} has no digest`);
  if (!isDigest(d.digest)) {
    if (/^[a-z0-9]+([+._-][a-z0-9]+)*:/.test(d.digest) && !d.digest.startsWith('sha256:')) {
      throw new ImageError(`${what}: ${where} uses digest algorithm "${d.digest.split(':')[0]}"; only sha256 is supported`, 'UNSUPPORTED');
    }
    throw bad(what, `${where} digest "${d.digest.slice(0, 80)}" is not sha256: followed by 64 hex characters`);
  }
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) throw bad(what, `${where} size is not a non-negative integer`);
  return d as unknown as Descriptor;
}

/**
 * Parses a manifest or index. The type comes from the document's own mediaType (part of what the digest
 * covers), else the Content-Type, else its shape.
 */
export function parseManifest(bytes: Buffer, contentType: string, what: string): ManifestDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw bad(what, 'it is not JSON');
  }
  if (!isObject(doc)) throw bad(what, 'it is not a JSON object');
  const declared = typeof doc.mediaType === 'string' ? doc.mediaType : undefined;
  if (doc.schemaVersion === 1 || contentType === DOCKER_SCHEMA1 || contentType === DOCKER_SCHEMA1_SIGNED) {
    throw new ImageError(`${what} is a Docker schema 1 manifest, which is deprecated and not supported; push the image again with a current tool`, 'UNSUPPORTED');
  }
  if (doc.schemaVersion !== 2) throw bad(what, `schemaVersion is ${JSON.stringify(doc.schemaVersion)}, not 2`);
  let mediaType = declared ?? (isIndexType(contentType) || isManifestType(contentType) ? contentType : undefined);
  mediaType ??= Array.isArray(doc.manifests) ? OCI_INDEX : isObject(doc.config) ? OCI_MANIFEST : undefined;
  if (!mediaType) throw bad(what, 'its type cannot be told (no mediaType, no manifests or config)');

  if (isIndexType(mediaType)) {
    if (!Array.isArray(doc.manifests)) throw bad(what, 'an index without a manifests list');
    if (doc.manifests.length > REGISTRY_LIMITS.indexEntries) {
      throw new ImageError(`${what} lists ${doc.manifests.length} manifests; the limit is ${REGISTRY_LIMITS.indexEntries}`, 'TOO_LARGE');
    }
    const manifests = doc.manifests.map((d, i) => checkDescriptor(d, what, `manifests[${i}]`));
    return { kind: 'index', mediaType, index: { ...(doc as object), schemaVersion: 2, manifests } as ImageIndex };
  }
  if (isManifestType(mediaType)) {
    const config = checkDescriptor(doc.config, what, 'config');
    if (!Array.isArray(doc.layers)) throw bad(what, 'an image manifest without a layers list');
    const layers = doc.layers.map((d, i) => checkDescriptor(d, what, `layers[${i}]`));
    return { kind: 'manifest', mediaType, manifest: { ...(doc as object), schemaVersion: 2, config, layers } as ImageManifest };
  }
  throw new ImageError(`${what} has media type ${mediaType}, which is not a container image`, 'UNSUPPORTED');
}

/** Limits and media types of an image manifest, checked before any download. */
export function checkImageManifest(m: ImageManifest, what: string): void {
  if (!isConfigType(m.config.mediaType)) {
    throw new ImageError(`${what} is not a container image (config media type ${m.config.mediaType})`, 'UNSUPPORTED');
  }
  if (m.config.size > REGISTRY_LIMITS.configBytes) {
    throw new ImageError(`${what}: the image config is ${m.config.size} bytes; the limit is ${REGISTRY_LIMITS.configBytes}`, 'TOO_LARGE');
  }
  if (m.layers.length > REGISTRY_LIMITS.layersPerImage) {
    throw new ImageError(`${what} has ${m.layers.length} layers; the limit is ${REGISTRY_LIMITS.layersPerImage}`, 'TOO_LARGE');
  }
  for (const [i, l] of m.layers.entries()) {
    if (!isLayerType(l.mediaType)) throw new ImageError(`${what}: layer ${i + 1} has media type ${l.mediaType}, which Podsmith cannot unpack`, 'UNSUPPORTED');
    if (l.size > REGISTRY_LIMITS.layerBytes) {
      throw new ImageError(`${what}: layer ${i + 1} (${l.digest}) is ${l.size} bytes compressed; the limit is ${REGISTRY_LIMITS.layerBytes}`, 'TOO_LARGE');
    }
  }
}

/** Parses an image config and checks it agrees with the manifest (one diff_id per layer). */
export function parseConfig(bytes: Buffer, manifest: ImageManifest, what: string): ImageConfig {
  let config: unknown;
  try {
    config = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new ImageError(`${what}: the image config is not JSON`, 'INVALID_MANIFEST');
  }
  if (!isObject(config)) throw new ImageError(`${what}: the image config is not a JSON object`, 'INVALID_MANIFEST');
  const rootfs = config.rootfs as { diff_ids?: unknown } | undefined;
  if (rootfs !== undefined) {
    if (!isObject(rootfs) || !Array.isArray(rootfs.diff_ids) || !rootfs.diff_ids.every((d) => typeof d === 'string' && isDigest(d))) {
      throw new ImageError(`${what}: the image config's rootfs.diff_ids is not a list of sha256 digests`, 'INVALID_MANIFEST');
    }
    if (rootfs.diff_ids.length !== manifest.layers.length) {
      throw new ImageError(`${what}: the config lists ${rootfs.diff_ids.length} layer diff_ids but the manifest has ${manifest.layers.length} layers`, 'INVALID_MANIFEST');
    }
  }
  return config as ImageConfig;
}
