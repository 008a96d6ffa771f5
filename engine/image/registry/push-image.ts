// Pushes an image from the store to a registry: every blob the registry lacks (checked with HEAD) is uploaded
// from the store file, a few at a time, then the manifest is PUT under the destination tag. An index is pushed
// with all of its manifests, which must all be in the store.
import { createReadStream } from 'node:fs';
import { Transform } from 'node:stream';
import { familiarReference, parseReference } from '../reference';
import { clientFor, operationControl, type ConnectOptions } from './connect';
import type { ImageStore } from '../store';
import { ImageError, type Descriptor, type Digest, type ImageReference, type PullProgress } from '../types';
import type { RegistryClient } from './client';
import { forEachLimited } from './limit-concurrency';
import { DEFAULT_CONCURRENCY, DEFAULT_TIMEOUTS, REGISTRY_LIMITS } from './limits';
import { parseManifest } from './manifest';

export type PushStore = Pick<ImageStore, 'blobs' | 'resolveImage' | 'withLease'>;

export interface PushOptions extends ConnectOptions {
  store: PushStore;
  signal?: AbortSignal;
  /** Blobs uploaded at once (default 3). */
  concurrency?: number;
  /** Progress with the pull event shapes; `blob-done.cached` means the registry had the blob already. */
  onProgress?: (e: PullProgress) => void;
}

export interface PushResult {
  destination: ImageReference;
  digest: Digest;
  /** Blobs uploaded (the others were already there). */
  uploaded: number;
  skipped: number;
}

interface Doc {
  digest: Digest;
  bytes: Buffer;
  mediaType: string;
  blobs: Descriptor[];
  /** Manifests an index lists (empty for an image manifest). */
  manifests: Descriptor[];
}

/** Pushes stored image `source` (a name or digest in the store) to `destination` (default: the same name). */
export async function pushImage(source: string, destination: string | ImageReference | undefined, opts: PushOptions): Promise<PushResult> {
  const dest = typeof destination === 'object' ? destination : parseReference(destination ?? source);
  return opts.store.withLease(() => pushLeased(source, dest, opts));
}

async function pushLeased(source: string, dest: ImageReference, opts: PushOptions): Promise<PushResult> {
  const { blobs } = opts.store;
  const digest = await opts.store.resolveImage(source);
  if (!digest) throw new ImageError(`image ${source} is not in the image store; pull or load it first`, 'NOT_FOUND');

  const read = async (d: Digest, label: string): Promise<Doc> => {
    const bytes = await blobs.readBytes(d, REGISTRY_LIMITS.manifestBytes).catch((err: unknown) => {
      throw err instanceof ImageError && err.code === 'NOT_FOUND' ? new ImageError(`${label} (${d}) is not in the image store`, 'NOT_FOUND') : err;
    });
    const doc = parseManifest(bytes, '', label);
    return doc.kind === 'index'
      ? { digest: d, bytes, mediaType: doc.mediaType, blobs: [], manifests: doc.index.manifests }
      : { digest: d, bytes, mediaType: doc.mediaType, blobs: [doc.manifest.config, ...doc.manifest.layers], manifests: [] };
  };

  const top = await read(digest, `image ${source}`);
  const children: Doc[] = [];
  if (top.manifests.length) {
    const missing: string[] = [];
    for (const m of top.manifests) {
      if ((await blobs.size(m.digest)) === undefined) missing.push(m.digest);
      else children.push(await read(m.digest, `manifest of ${source}`));
    }
    if (missing.length) {
      throw new ImageError(`image ${source} is an index whose manifests ${missing.join(', ')} are not in the image store; pull the image again with all platforms, or push a single-platform image`, 'NOT_FOUND');
    }
  }
  const shown = familiarReference(dest);
  if (dest.digest && dest.digest !== digest) throw new ImageError(`cannot push ${source} (${digest}) as ${shown}: the digests differ`, 'INVALID_REFERENCE');

  const emit = (e: PullProgress): void => opts.onProgress?.(e);
  const { control, dispose } = operationControl(`push of ${shown}`, opts.timeouts?.totalMs ?? DEFAULT_TIMEOUTS.totalMs, opts.signal);
  const client = clientFor(dest, opts, control.signal, (attempt, reason) => emit({ type: 'retry', attempt, reason }));
  try {
    const unique = new Map<Digest, Descriptor>();
    for (const doc of children.length ? children : [top]) for (const b of doc.blobs) unique.set(b.digest, b);
    let uploaded = 0;
    let skipped = 0;
    await forEachLimited(
      [...unique.values()],
      opts.concurrency ?? DEFAULT_CONCURRENCY,
      async (desc) => {
        if ((await blobs.size(desc.digest)) !== desc.size) throw new ImageError(`blob ${desc.digest} of ${source} is missing from the image store or has the wrong size`, 'NOT_FOUND');
        const sent = await uploadOne(client, dest.repository, desc, blobs.path(desc.digest), emit);
        if (sent) uploaded++;
        else skipped++;
      },
      () => control.abort(new ImageError(`push of ${shown} stopped after another blob failed`, 'ABORTED')),
    );
    // Manifests of an index go by digest first: the registry checks that what an index lists exists.
    for (const child of children) await client.putManifest(dest.repository, child.digest, child.bytes, child.mediaType);
    await client.putManifest(dest.repository, dest.tag ?? digest, top.bytes, top.mediaType);
    emit({ type: 'done', reference: dest.original, digest });
    return { destination: dest, digest, uploaded, skipped };
  } finally {
    dispose();
    client.close();
  }
}

async function uploadOne(client: RegistryClient, repository: string, desc: Descriptor, path: string, emit: (e: PullProgress) => void): Promise<boolean> {
  let started = false;
  const sent = await client.uploadBlob(repository, desc, () => {
    if (!started) emit({ type: 'blob-start', digest: desc.digest, size: desc.size, mediaType: desc.mediaType });
    started = true;
    let bytes = 0;
    let reported = 0;
    const step = Math.max(256 * 1024, Math.floor(desc.size / 100));
    const count = new Transform({
      transform(chunk: Buffer, _enc, done) {
        bytes += chunk.length;
        if (bytes - reported >= step || bytes === desc.size) {
          reported = bytes;
          emit({ type: 'blob-progress', digest: desc.digest, bytes, size: desc.size });
        }
        done(null, chunk);
      },
    });
    const file = createReadStream(path);
    file.on('error', (err) => count.destroy(err));
    return file.pipe(count);
  });
  emit({ type: 'blob-done', digest: desc.digest, cached: !sent });
  return sent;
}
