// Pulls an image into the store: resolve the reference to a manifest digest (HEAD first, so a warm pull whose
// manifest is stored costs one small request and no downloads), pick the platform from an index, then fetch
// config and layers a few at a time, and finally point the image's name at the manifest digest.
import { formatPlatform, hostPlatform, parsePlatform, selectManifest } from './registry/platform';
import { isManifestType } from './media-types';
import { familiarReference, formatReference, parseReference } from './reference';
import { downloadBlob, fetchSmallBlob, storeBytes } from './registry/blob-download';
import type { FetchedManifest } from './registry/client';
import { clientFor, operationControl, type ConnectOptions } from './registry/connect';
import { forEachLimited } from './registry/limit-concurrency';
import { DEFAULT_CONCURRENCY, DEFAULT_TIMEOUTS, REGISTRY_LIMITS } from './registry/limits';
import { checkImageManifest, parseConfig, parseManifest } from './registry/manifest';
import type { ImageStore } from './store';
import { ImageError, type Descriptor, type Digest, type ImageConfig, type ImageManifest, type ImageReference, type Platform, type PullProgress } from './types';

/** The parts of the image store a pull uses. */
export type PullStore = Pick<ImageStore, 'blobs' | 'tagImage' | 'withLease'>;

export interface PullOptions extends ConnectOptions {
  store: PullStore;
  /** `linux/arm64/v8` or a Platform; default this host's. */
  platform?: Platform | string;
  onProgress?: (e: PullProgress) => void;
  signal?: AbortSignal;
  /** Blobs downloaded at once (default 3). */
  concurrency?: number;
}

export interface PullResult {
  reference: ImageReference;
  /** The canonical name recorded in the store (`docker.io/library/busybox:latest`). */
  name: string;
  /** Digest of the image manifest (for an index, of the chosen platform's manifest). */
  digest: Digest;
  /** Digest of the index the manifest was chosen from, if any. */
  indexDigest?: Digest;
  manifest: ImageManifest;
  config: ImageConfig;
  platform: Platform;
  /** Bytes of config and layers downloaded by this pull (0 when everything was stored already). */
  downloadedBytes: number;
  /** Things worth telling the user (the image's platform differs from the one asked for). */
  warnings: string[];
}

export async function pullImage(reference: string | ImageReference, opts: PullOptions): Promise<PullResult> {
  const ref = typeof reference === 'string' ? parseReference(reference) : reference;
  const platform = typeof opts.platform === 'string' ? parsePlatform(opts.platform) : (opts.platform ?? hostPlatform());
  // One store lease for the whole pull: a prune waits for it, and the store's per-call locking collapses into
  // this one lock (it is reference-counted in process), which is most of what a warm pull costs otherwise.
  return opts.store.withLease(() => pullLeased(ref, platform, opts));
}

async function pullLeased(ref: ImageReference, platform: Platform, opts: PullOptions): Promise<PullResult> {
  const shown = familiarReference(ref);
  const emit = (e: PullProgress): void => opts.onProgress?.(e);
  const { control, dispose } = operationControl(`pull of ${shown}`, opts.timeouts?.totalMs ?? DEFAULT_TIMEOUTS.totalMs, opts.signal);
  const client = clientFor(ref, opts, control.signal, (attempt, reason) => emit({ type: 'retry', attempt, reason }));
  const blobs = opts.store.blobs;
  const repo = ref.repository;
  const what = `manifest ${shown}`;

  /** A document we stored earlier, so a warm pull skips its download; undefined when absent or unreadable. */
  const stored = async (digest: Digest, limit: number): Promise<Buffer | undefined> => {
    if (!(await blobs.has(digest))) return undefined;
    return blobs.readBytes(digest, limit).catch(() => undefined);
  };
  const manifestDoc = async (digest: Digest, label: string): Promise<FetchedManifest> => {
    const bytes = await stored(digest, REGISTRY_LIMITS.manifestBytes);
    return bytes ? { bytes, digest, mediaType: '' } : client.getManifest(repo, digest, label);
  };

  try {
    let top: FetchedManifest;
    if (ref.digest) {
      top = await manifestDoc(ref.digest, what);
    } else {
      const head = await client.headManifest(repo, ref.tag!, what);
      top = head ? await manifestDoc(head.digest, what) : await client.getManifest(repo, ref.tag!, what);
    }
    emit({ type: 'resolve', reference: ref.original, digest: top.digest });

    let doc = parseManifest(top.bytes, top.mediaType, what);
    let digest = top.digest;
    let manifestBytes = top.bytes;
    let indexDigest: Digest | undefined;
    if (doc.kind === 'index') {
      indexDigest = top.digest;
      await storeBytes(blobs, top.digest, top.bytes);
      const chosen = selectManifest(doc.index, platform);
      const label = `${what} for ${formatPlatform(chosen.platform ?? platform)}`;
      if (!isManifestType(chosen.mediaType)) throw new ImageError(`${label} has media type ${chosen.mediaType}; nested indexes are not supported`, 'UNSUPPORTED');
      if (chosen.size > REGISTRY_LIMITS.manifestBytes) throw new ImageError(`${label} is ${chosen.size} bytes; the limit is ${REGISTRY_LIMITS.manifestBytes}`, 'TOO_LARGE');
      const child = await manifestDoc(chosen.digest, label);
      if (child.bytes.length !== chosen.size) throw new ImageError(`${label} is ${child.bytes.length} bytes, but the index says ${chosen.size}`, 'DIGEST_MISMATCH');
      doc = parseManifest(child.bytes, child.mediaType, label);
      if (doc.kind !== 'manifest') throw new ImageError(`${label} is an index inside an index, which is not supported`, 'UNSUPPORTED');
      digest = child.digest;
      manifestBytes = child.bytes;
    }
    const manifest = doc.manifest;
    checkImageManifest(manifest, what);

    // Config first, then layers; a layer listed twice is fetched once.
    const seen = new Set<Digest>();
    const work: { desc: Descriptor; config: boolean }[] = [];
    for (const [desc, config] of [[manifest.config, true] as const, ...manifest.layers.map((l) => [l, false] as const)]) {
      if (seen.has(desc.digest)) continue;
      seen.add(desc.digest);
      work.push({ desc, config });
    }
    let configBytes: Buffer | undefined;
    let downloadedBytes = 0;
    await forEachLimited(
      work,
      opts.concurrency ?? DEFAULT_CONCURRENCY,
      async ({ desc, config }) => {
        if (config) {
          configBytes = await stored(desc.digest, REGISTRY_LIMITS.configBytes);
          if (configBytes) {
            emit({ type: 'blob-done', digest: desc.digest, cached: true });
            return;
          }
          emit({ type: 'blob-start', digest: desc.digest, size: desc.size, mediaType: desc.mediaType });
          configBytes = await fetchSmallBlob(client, repo, desc, REGISTRY_LIMITS.configBytes);
          await storeBytes(blobs, desc.digest, configBytes);
          downloadedBytes += desc.size;
          emit({ type: 'blob-progress', digest: desc.digest, bytes: desc.size, size: desc.size });
          emit({ type: 'blob-done', digest: desc.digest, cached: false });
          return;
        }
        const r = await downloadBlob({ client, repository: repo, descriptor: desc, sink: blobs, limit: REGISTRY_LIMITS.layerBytes, onProgress: emit });
        if (!r.cached) downloadedBytes += desc.size;
      },
      // Siblings stop with ABORTED (keeping their partial downloads); the first error is what the pull reports.
      () => control.abort(new ImageError(`pull of ${shown} stopped after another blob failed`, 'ABORTED')),
    );
    const config = parseConfig(configBytes!, manifest, what);

    // The manifest goes in last, so a stored manifest means its config and layers were complete at that time.
    await storeBytes(blobs, digest, manifestBytes);
    const name = await opts.store.tagImage(formatReference(ref), digest);

    const warnings: string[] = [];
    const imagePlatform: Platform = { os: config.os ?? 'unknown', architecture: config.architecture ?? 'unknown' };
    if (imagePlatform.os !== platform.os || imagePlatform.architecture !== platform.architecture) {
      warnings.push(`image ${shown} is for ${formatPlatform(imagePlatform)}, not ${formatPlatform(platform)}`);
    }
    emit({ type: 'done', reference: ref.original, digest });
    return { reference: ref, name, digest, ...(indexDigest ? { indexDigest } : {}), manifest, config, platform, downloadedBytes, warnings };
  } finally {
    dispose();
    client.close();
  }
}
