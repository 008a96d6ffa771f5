// The content-addressed image store under `<PODSMITH_HOME>/images/` (layout in ./paths.ts).
//
//   const store = await openStore(podsmithHome());
//   await pull(ref, { sink: store.blobs, ... });          // BlobSink: verified, atomic, resumable writes
//   await store.tagImage('busybox', manifestDigest);      // names are canonicalised (docker.io/library/busybox:latest)
//   await store.resolveImage('busybox');                  // -> manifest (or index) digest
//   await store.prune();                                  // drops what no name (or live rootfs) needs
//
// Safe across processes: blob writers of one digest serialise on an ingest lock (the second shares the first's
// result), the name index is rewritten atomically under its own lock, and prune excludes every writer through
// the store lock (see ./lease.ts and ./prune.ts).
import { join } from 'node:path';
import { ImageError, type Digest } from '../types';
import { createBlobStore, type BlobStore } from './blobs';
import { imageDetails, type ImageDetails } from './catalog';
import { isDigest } from './digest';
import { StoreLease } from './lease';
import { canonicalName, readNames, updateNames } from './names';
import { StorePaths } from './paths';
import { prune, type PruneOptions, type PruneResult } from './prune';
import { checkLayerOwnership } from '../../rootless/layer-ownership';

export type { BlobStore } from './blobs';
export type { PruneOptions, PruneResult } from './prune';
export type { ImageDetails } from './catalog';
export { StorePaths } from './paths';

export interface StoredImage {
  /** Canonical name (`docker.io/library/busybox:latest`), or `sha256:…` for an image loaded without a name. */
  name: string;
  digest: Digest;
  taggedAt: string;
}

export interface ImageStore {
  /** `<home>/images`. */
  readonly root: string;
  readonly paths: StorePaths;
  readonly blobs: BlobStore;
  /** Points `name` (any reference spelling; canonicalised) at a manifest or index that is in the store. */
  tagImage(name: string, manifestDigest: Digest): Promise<string>;
  /** The digest a name points at; a `name@sha256:` or bare digest resolves to its digest if that blob is here. */
  resolveImage(name: string): Promise<Digest | undefined>;
  listImages(): Promise<StoredImage[]>;
  /** Size and creation time for `podsmith images`. */
  describeImage(digest: Digest): Promise<ImageDetails>;
  /** Removes one name; true when it existed. Blobs stay until prune. */
  removeImage(name: string): Promise<boolean>;
  /** Removes every name pointing at `digest`; returns the names removed. */
  removeDigest(digest: Digest): Promise<string[]>;
  prune(opts?: PruneOptions): Promise<PruneResult>;
  /** Runs `fn` holding the shared store lease: a prune waits until it is done. */
  withLease<T>(fn: () => Promise<T>): Promise<T>;
}

export async function openStore(home: string): Promise<ImageStore> {
  const paths = new StorePaths(join(home, 'images'));
  await paths.create();
  const ownership = await checkLayerOwnership(paths);
  if (ownership && !ownership.removed)
    process.emitWarning(`the user namespace's id mapping changed: the unpacked layers made with the old one were set aside in ${ownership.setAside}; remove it as root`);
  const lease = new StoreLease(paths.storeLock);
  const blobs = createBlobStore(paths, lease);

  return {
    root: paths.root,
    paths,
    blobs,

    async tagImage(name, manifestDigest) {
      if (!isDigest(manifestDigest)) throw new ImageError(`invalid digest ${JSON.stringify(manifestDigest)}`, 'INVALID_DIGEST');
      const key = canonicalName(name);
      // Shared lease: a prune cannot run between our check that the manifest is here and the name landing.
      await lease.run(async () => {
        if ((await blobs.size(manifestDigest)) === undefined) {
          throw new ImageError(`cannot tag ${key}: manifest ${manifestDigest} is not in the image store`, 'NOT_FOUND');
        }
        await updateNames(paths, (images) => {
          images[key] = { digest: manifestDigest, taggedAt: new Date().toISOString() };
          // A real name supersedes the digest-only entry an unnamed load left.
          if (key !== manifestDigest && images[manifestDigest]?.digest === manifestDigest) delete images[manifestDigest];
        });
      });
      return key;
    },

    async resolveImage(name) {
      const images = await readNames(paths);
      if (isDigest(name)) return (await blobs.size(name)) !== undefined ? name : undefined;
      const key = canonicalName(name);
      if (images[key]) return images[key].digest;
      const at = key.indexOf('@');
      if (at >= 0) {
        const digest = key.slice(at + 1);
        return (await blobs.size(digest)) !== undefined ? digest : undefined;
      }
      return undefined;
    },

    async listImages() {
      const images = await readNames(paths);
      return Object.entries(images)
        .map(([name, e]) => ({ name, digest: e.digest, taggedAt: e.taggedAt }))
        .sort((a, b) => a.name.localeCompare(b.name));
    },

    describeImage: (digest) => imageDetails(blobs, digest),

    async removeImage(name) {
      const key = canonicalName(name);
      return updateNames(paths, (images) => {
        const had = key in images;
        delete images[key];
        return had;
      });
    },

    async removeDigest(digest) {
      return updateNames(paths, (images) => {
        const gone = Object.keys(images).filter((n) => images[n].digest === digest);
        for (const n of gone) delete images[n];
        return gone;
      });
    },

    prune: (opts) => prune(paths, blobs, opts),
    withLease: (fn) => lease.run(fn),
  };
}
