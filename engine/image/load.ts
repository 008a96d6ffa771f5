// `podsmith load`: images from files instead of a registry, which is what lets the demo work offline.
//
//   await loadImage(store, 'busybox-oci/')          // an OCI image layout directory
//   await loadImage(store, 'busybox.tar')           // an oci-archive, or a docker-archive (`docker save`), maybe gzipped
//
// Every blob goes through the store's verifying writer (a blob whose bytes do not match its digest is refused);
// docker-archive images are converted to OCI manifests. Names come from the archive (index annotations,
// RepoTags) plus `name`; an image without any is kept under its digest so prune does not take it.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageStore } from './store';
import { canonicalName } from './store/names';
import { ImageError, type Digest, type ImageIndex, type ImageManifest } from './types';
import { configDigestOf, convertDockerEntry, dockerManifest } from './archive/docker-archive';
import { namesFromAnnotations, type NameResult } from './archive/image-names';
import { importLayoutDir } from './archive/oci-layout-dir';
import { importReachable } from './archive/reachable-blobs';
import { archiveIndex, archiveNeeds } from './archive/archive-needs';
import { catalogTarball, DEFAULT_ARCHIVE_LIMITS, importFromTarball, type ArchiveLimits } from './archive/tar-archive';

export interface LoadOptions {
  /** Another name for the image (only when the input holds exactly one). */
  name?: string;
  /** Largest blob accepted. Default 512 MiB (the layer limit). */
  maxBlobBytes?: number;
  /** Caps on the JSON documents of a tarball kept in memory (DEFAULT_ARCHIVE_LIMITS). */
  archiveLimits?: Partial<Omit<ArchiveLimits, 'maxBlobBytes'>>;
}

export interface LoadedImage {
  digest: Digest;
  /** Canonical names it was tagged with; empty when it is kept under its digest only. */
  names: string[];
}

export interface LoadResult {
  images: LoadedImage[];
  /** Names found but not used (bare tags, invalid references). */
  warnings: string[];
}

const MAX_DOCUMENT = 1024 * 1024;

interface Found {
  digest: Digest;
  names: NameResult;
}

/** Config digests of the image(s) a top-level descriptor stands for (all platforms of an index). */
async function configsOf(store: ImageStore, d: Digest, depth = 0): Promise<Digest[]> {
  const doc = await store.blobs.readJson<Partial<ImageIndex & ImageManifest>>(d, MAX_DOCUMENT).catch(() => undefined);
  if (!doc) return [];
  if (Array.isArray(doc.manifests) && depth < 2) return (await Promise.all(doc.manifests.map((m) => configsOf(store, m.digest, depth + 1)))).flat();
  return doc.config ? [doc.config.digest] : [];
}

async function fromTarball(store: ImageStore, file: string, limits: ArchiveLimits): Promise<Found[]> {
  // Two passes: learn what the index and manifests reach, then import exactly that (tar-archive.ts).
  const contents = await catalogTarball(file, limits);
  const docker = dockerManifest(contents);
  await importFromTarball(store, contents, archiveNeeds(contents), limits);
  if (contents.json.has('index.json')) {
    const found: Found[] = [];
    for (const top of archiveIndex(contents)) {
      const ok = await importReachable(store, top, async (d) => contents.blobs.has(d.digest) || (await store.blobs.has(d.digest)));
      if (!ok) throw new ImageError(`${file}: blob ${top.digest} listed in archive entry "index.json" is not in the archive`, 'NOT_FOUND');
      found.push({ digest: top.digest, names: namesFromAnnotations(top.annotations) });
    }
    // docker 25+ writes an OCI layout plus manifest.json; its RepoTags are the full names.
    for (const entry of docker ?? []) {
      const config = (await configDigestOf(store, contents, entry)).digest;
      for (const f of found) {
        if (!(await configsOf(store, f.digest)).includes(config)) continue;
        for (const t of Array.isArray(entry.RepoTags) ? entry.RepoTags : []) {
          try {
            const n = canonicalName(String(t));
            if (!f.names.names.includes(n)) f.names.names.push(n);
          } catch (err) {
            f.names.skipped.push(`${String(t)} (${(err as Error).message})`);
          }
        }
      }
    }
    return found;
  }
  if (docker) {
    const found: Found[] = [];
    for (const entry of docker) found.push(await convertDockerEntry(store, contents, entry));
    return found;
  }
  throw new ImageError(`${file} is neither an OCI archive (no index.json) nor a docker archive (no manifest.json)`, 'BAD_ARCHIVE');
}

export async function loadImage(store: ImageStore, input: string, opts: LoadOptions = {}): Promise<LoadResult> {
  const st = await stat(input).catch(() => undefined);
  if (!st) throw new ImageError(`${input}: no such file or directory`, 'NOT_FOUND');
  const limits: ArchiveLimits = { ...DEFAULT_ARCHIVE_LIMITS, ...opts.archiveLimits, maxBlobBytes: opts.maxBlobBytes ?? DEFAULT_ARCHIVE_LIMITS.maxBlobBytes };
  let found: Found[];
  if (st.isDirectory()) {
    if (!(await stat(join(input, 'oci-layout')).catch(() => undefined))) {
      throw new ImageError(`${input} is not an OCI image layout (no oci-layout file); for a docker-archive pass the .tar file`, 'BAD_ARCHIVE');
    }
    found = (await importLayoutDir(store, input)).map((d) => ({ digest: d.digest, names: namesFromAnnotations(d.annotations) }));
  } else {
    found = await fromTarball(store, input, limits);
  }
  if (found.length === 0) throw new ImageError(`${input} holds no image`, 'NOT_FOUND');
  if (opts.name !== undefined) {
    if (found.length !== 1) throw new ImageError(`${input} holds ${found.length} images; a name can only be given to one`, 'AMBIGUOUS');
    const n = canonicalName(opts.name);
    if (!found[0].names.names.includes(n)) found[0].names.names.unshift(n);
  }

  const result: LoadResult = { images: [], warnings: [] };
  for (const f of found) {
    for (const n of f.names.names) await store.tagImage(n, f.digest);
    if (f.names.names.length === 0) await store.tagImage(f.digest, f.digest);
    result.images.push({ digest: f.digest, names: f.names.names });
    result.warnings.push(...f.names.skipped);
  }
  return result;
}
