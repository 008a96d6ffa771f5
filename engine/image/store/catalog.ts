// What `podsmith images` shows about a stored image: its size and creation time, read from its manifest and
// config (for an index, the manifest for this host's platform, else the first one present).
import { hostPlatform } from '../registry/platform';
import type { Descriptor, Digest, ImageIndex, ImageManifest } from '../types';
import type { BlobStore } from './blobs';

const MAX_DOCUMENT = 1024 * 1024;

export interface ImageDetails {
  /** Compressed size of config and layers (what was downloaded), undefined when the manifest is missing. */
  size?: number;
  /** The config's `created`, ISO 8601, when it has one. */
  created?: string;
  /** Whether the name points at an index (multi-platform). */
  isIndex: boolean;
}

function pick(index: ImageIndex): Descriptor[] {
  const host = hostPlatform();
  const same = index.manifests.filter((m) => m.platform?.os === host.os && m.platform?.architecture === host.architecture);
  return [...same, ...index.manifests.filter((m) => !same.includes(m))];
}

export async function imageDetails(blobs: BlobStore, digest: Digest): Promise<ImageDetails> {
  let doc: Partial<ImageIndex & ImageManifest>;
  try {
    doc = await blobs.readJson(digest, MAX_DOCUMENT);
  } catch {
    return { isIndex: false };
  }
  const isIndex = Array.isArray(doc.manifests);
  if (isIndex) {
    for (const m of pick(doc as ImageIndex)) {
      if (!(await blobs.size(m.digest).catch(() => undefined))) continue;
      return { ...(await imageDetails(blobs, m.digest)), isIndex: true };
    }
    return { isIndex };
  }
  const manifest = doc as ImageManifest;
  const size = (manifest.config?.size ?? 0) + (manifest.layers ?? []).reduce((n, l) => n + (l.size ?? 0), 0);
  let created: string | undefined;
  try {
    const config = await blobs.readJson<{ created?: unknown }>(manifest.config.digest, MAX_DOCUMENT);
    if (typeof config.created === 'string') created = config.created;
  } catch {
    // no config: no creation time
  }
  return { size, created, isIndex };
}
