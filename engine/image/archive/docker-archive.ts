// `docker save` archives without an OCI index: each manifest.json entry (Config, RepoTags, Layers) becomes an
// OCI image manifest in the store. The config JSON is already OCI-shaped (Docker's image JSON is what the OCI
// config was derived from); layers keep their bytes and get the media type their magic bytes say.
import { sniffFile } from '../unpack/decompress';
import { OCI_CONFIG, OCI_LAYER, OCI_LAYER_GZIP, OCI_LAYER_ZSTD, OCI_MANIFEST } from '../media-types';
import type { ImageStore } from '../store';
import { ImageError, type Descriptor, type Digest, type ImageManifest } from '../types';
import { namesFromRepoTags, type NameResult } from './image-names';
import { parseJsonQuietly } from '../../text/json-text';
import { entryError, resolveArchivePath, storedDigest, type ArchiveContents } from './tar-archive';

export interface DockerManifestEntry {
  Config?: unknown;
  RepoTags?: unknown;
  Layers?: unknown;
}

const MAX_IMAGES = 1024;

export function dockerManifest(contents: ArchiveContents): DockerManifestEntry[] | undefined {
  const raw = contents.json.get('manifest.json');
  if (!raw) return undefined;
  let parsed: unknown;
  try {
    parsed = parseJsonQuietly(raw.toString('utf8'));
  } catch (err) {
    throw entryError(contents, 'manifest.json', `is ${(err as Error).message}`, 'INVALID_JSON');
  }
  if (!Array.isArray(parsed)) throw entryError(contents, 'manifest.json', 'is not a list of images', 'BAD_ARCHIVE');
  if (parsed.length > MAX_IMAGES) throw entryError(contents, 'manifest.json', `lists more than ${MAX_IMAGES} images`, 'TOO_LARGE');
  return parsed as DockerManifestEntry[];
}

/** The config digest of a manifest.json entry (stored on the way if it was a loose JSON file). */
export async function configDigestOf(store: ImageStore, contents: ArchiveContents, entry: DockerManifestEntry): Promise<{ digest: Digest; size: number }> {
  if (typeof entry.Config !== 'string') throw new ImageError('a manifest.json entry has no Config', 'BAD_ARCHIVE');
  const stored = storedDigest(contents, entry.Config);
  if (stored) return { digest: stored, size: (await store.blobs.size(stored)) ?? 0 };
  const bytes = contents.json.get(resolveArchivePath(contents, entry.Config));
  if (!bytes) throw new ImageError(`config ${entry.Config} named in manifest.json is not in the archive`, 'NOT_FOUND');
  return { digest: await store.blobs.putBytes(bytes), size: bytes.length };
}

async function layerDescriptor(store: ImageStore, contents: ArchiveContents, path: unknown): Promise<Descriptor> {
  if (typeof path !== 'string') throw new ImageError('a manifest.json entry has a layer that is not a path', 'BAD_ARCHIVE');
  const digest = storedDigest(contents, path);
  if (!digest) throw new ImageError(`layer ${path} named in manifest.json is not in the archive`, 'NOT_FOUND');
  const compression = await sniffFile(store.blobs.path(digest));
  const mediaType = compression === 'gzip' ? OCI_LAYER_GZIP : compression === 'zstd' ? OCI_LAYER_ZSTD : OCI_LAYER;
  return { mediaType, digest, size: (await store.blobs.size(digest)) ?? 0 };
}

export async function convertDockerEntry(store: ImageStore, contents: ArchiveContents, entry: DockerManifestEntry): Promise<{ digest: Digest; names: NameResult }> {
  const config = await configDigestOf(store, contents, entry);
  if (!Array.isArray(entry.Layers)) throw new ImageError('a manifest.json entry has no Layers list', 'BAD_ARCHIVE');
  const layers: Descriptor[] = [];
  for (const l of entry.Layers) layers.push(await layerDescriptor(store, contents, l));
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: OCI_CONFIG, digest: config.digest, size: config.size },
    layers,
  };
  const digest = await store.blobs.putBytes(Buffer.from(JSON.stringify(manifest)));
  return { digest, names: namesFromRepoTags(entry.RepoTags) };
}
