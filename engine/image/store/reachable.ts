// Mark phase of prune: every blob and unpacked layer reachable from the given image digests.
import type { Digest, ImageConfig, ImageIndex, ImageManifest } from '../types';
import type { BlobStore } from './blobs';
import { chainIds } from './chain-id';
import { isDigest } from './digest';

const MAX_DOCUMENT = 1024 * 1024;
/** Index nesting we follow (an index of indexes is legal, deeper is not useful). */
const MAX_DEPTH = 4;

export interface Reachable {
  blobs: Set<Digest>;
  layers: Set<Digest>;
}

export async function markReachable(blobs: BlobStore, roots: Iterable<Digest>): Promise<Reachable> {
  const out: Reachable = { blobs: new Set(), layers: new Set() };
  const visit = async (d: Digest, depth: number): Promise<void> => {
    if (!isDigest(d) || out.blobs.has(d)) return;
    out.blobs.add(d);
    if (depth > MAX_DEPTH) return;
    let doc: Partial<ImageIndex & ImageManifest>;
    try {
      doc = await blobs.readJson(d, MAX_DOCUMENT);
    } catch {
      return; // absent or not a document: kept, nothing below it to mark
    }
    if (Array.isArray(doc.manifests)) {
      for (const m of doc.manifests) if (m && isDigest(m.digest)) await visit(m.digest, depth + 1);
      return;
    }
    if (doc.config && isDigest(doc.config.digest)) {
      out.blobs.add(doc.config.digest);
      for (const l of Array.isArray(doc.layers) ? doc.layers : []) if (l && isDigest(l.digest)) out.blobs.add(l.digest);
      try {
        const config = await blobs.readJson<ImageConfig>(doc.config.digest, MAX_DOCUMENT);
        const diffIds = (config.rootfs?.diff_ids ?? []).filter(isDigest);
        for (const c of chainIds(diffIds)) out.layers.add(c);
      } catch {
        // config missing or unreadable: no layers to keep for it
      }
    }
  };
  for (const r of roots) await visit(r, 0);
  return out;
}
