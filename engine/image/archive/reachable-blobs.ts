// Walks what a top-level descriptor of an image layout needs, fetching each blob through `fetch` (which puts it
// into the store), and checks the image is complete: a manifest needs its config and every layer; an index
// needs at least one complete manifest (layouts often hold only some platforms of a multi-platform index).
import { isIndexType, isManifestType } from '../media-types';
import type { ImageStore } from '../store';
import { isDigest } from '../store/digest';
import { ImageError, type Descriptor, type ImageIndex, type ImageManifest } from '../types';

const MAX_DOCUMENT = 1024 * 1024;
const MAX_DEPTH = 3;

/** Puts the blob into the store if the archive has it; false when the archive lacks it. */
export type FetchBlob = (d: Descriptor) => Promise<boolean>;

export async function importReachable(store: ImageStore, top: Descriptor, fetch: FetchBlob, depth = 0): Promise<boolean> {
  if (!isDigest(top.digest)) throw new ImageError(`descriptor with invalid digest ${JSON.stringify(top.digest)}`, 'BAD_IMAGE');
  if (!(await fetch(top))) return false;
  const doc = await store.blobs.readJson<Partial<ImageIndex & ImageManifest>>(top.digest, MAX_DOCUMENT);
  if (Array.isArray(doc.manifests) || isIndexType(top.mediaType)) {
    if (depth >= MAX_DEPTH) throw new ImageError(`${top.digest}: indexes nested too deeply`, 'BAD_IMAGE');
    let complete = 0;
    for (const m of doc.manifests ?? []) if (await importReachable(store, m, fetch, depth + 1)) complete++;
    if (complete === 0) throw new ImageError(`index ${top.digest} has no complete image in this archive`, 'NOT_FOUND');
    return true;
  }
  if (!doc.config || !Array.isArray(doc.layers) || (top.mediaType && !isManifestType(top.mediaType))) {
    throw new ImageError(`${top.digest} is neither an image manifest nor an index`, 'BAD_IMAGE');
  }
  for (const d of [doc.config, ...doc.layers]) {
    if (!(await fetch(d))) throw new ImageError(`image ${top.digest} needs blob ${d.digest}, which the archive does not contain`, 'NOT_FOUND');
  }
  return true;
}
