// Hand-made layers and images for the unpack tests: tars written entry by entry with tar-stream (so hostile
// names, links and devices can be expressed exactly), compressed as asked, and stored through the BlobSink or
// written as an OCI layout.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import type { ImageStore } from '../../../engine/image/store';
import type { Descriptor, ImageConfig, ImageManifest } from '../../../engine/image/types';

export const MTIME = new Date('2024-01-01T00:00:00Z');

export interface Entry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'block-device' | 'fifo';
  data?: string | Buffer;
  mode?: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  uid?: number;
  gid?: number;
  /** Extra PAX records (a `path` record overrides the name, which is how a NUL gets into one). */
  pax?: Record<string, string>;
}

export const file = (name: string, data: string | Buffer = '', mode = 0o644): Entry => ({ name, data, mode });
export const dir = (name: string, mode = 0o755): Entry => ({ name, type: 'directory', mode });
export const symlink = (name: string, linkname: string): Entry => ({ name, type: 'symlink', linkname });
export const hardlink = (name: string, linkname: string): Entry => ({ name, type: 'link', linkname });

export function tarOf(entries: Entry[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const pack = tar.pack();
    const chunks: Buffer[] = [];
    pack.on('data', (c: unknown) => chunks.push(c as Buffer));
    pack.on('end', () => resolve(Buffer.concat(chunks)));
    pack.on('error', reject);
    for (const e of entries) {
      const type = e.type ?? 'file';
      const data = type === 'file' ? Buffer.from(e.data ?? '') : undefined;
      const header = {
        name: e.name,
        type,
        mode: e.mode ?? (type === 'directory' ? 0o755 : type === 'symlink' ? 0o777 : 0o644),
        mtime: MTIME,
        uid: e.uid ?? 0,
        gid: e.gid ?? 0,
        size: data?.length ?? 0,
        linkname: e.linkname,
        devmajor: e.devmajor,
        devminor: e.devminor,
        ...(e.pax ? { pax: e.pax } : {}),
      };
      if (data) pack.entry(header, data);
      else pack.entry(header);
    }
    pack.finalize();
  });
}

export const sha256 = (b: Buffer | string): string => 'sha256:' + createHash('sha256').update(b).digest('hex');

export function zstd(data: Buffer, extraArgs: string[] = []): Buffer {
  const r = spawnSync('zstd', ['-q', '-c', ...extraArgs], { input: data, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`zstd failed: ${r.stderr}`);
  return r.stdout;
}

export interface LayerSpec {
  /** Uncompressed tar. */
  tar: Buffer;
  compression?: 'gzip' | 'zstd' | 'none';
  /** Overrides the media type written into the manifest. */
  mediaType?: string;
  /** Overrides the diff_id written into the config. */
  diffId?: string;
  /** Use these bytes as the blob instead of compressing `tar`. */
  blob?: Buffer;
}

export interface BuiltBlobs {
  /** digest -> bytes of every blob (layers, config, manifest). */
  blobs: Map<string, Buffer>;
  manifestDigest: string;
  manifest: ImageManifest;
  config: ImageConfig;
  layers: Array<Descriptor & { diffId: string }>;
}

const MEDIA = { gzip: 'application/vnd.oci.image.layer.v1.tar+gzip', zstd: 'application/vnd.oci.image.layer.v1.tar+zstd', none: 'application/vnd.oci.image.layer.v1.tar' };

export function buildImage(layers: LayerSpec[]): BuiltBlobs {
  const blobs = new Map<string, Buffer>();
  const descs: Array<Descriptor & { diffId: string }> = [];
  for (const l of layers) {
    const compression = l.compression ?? 'gzip';
    const bytes = l.blob ?? (compression === 'gzip' ? gzipSync(l.tar) : compression === 'zstd' ? zstd(l.tar) : l.tar);
    const digest = sha256(bytes);
    blobs.set(digest, bytes);
    descs.push({ mediaType: l.mediaType ?? MEDIA[compression], digest, size: bytes.length, diffId: l.diffId ?? sha256(l.tar) });
  }
  const config: ImageConfig & { created: string } = {
    created: MTIME.toISOString(),
    architecture: 'amd64',
    os: 'linux',
    config: { Cmd: ['/bin/sh'] },
    rootfs: { type: 'layers', diff_ids: descs.map((d) => d.diffId) },
  };
  const configBytes = Buffer.from(JSON.stringify(config));
  blobs.set(sha256(configBytes), configBytes);
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(configBytes), size: configBytes.length },
    layers: descs.map(({ mediaType, digest, size }) => ({ mediaType, digest, size })),
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  const manifestDigest = sha256(manifestBytes);
  blobs.set(manifestDigest, manifestBytes);
  return { blobs, manifestDigest, manifest, config, layers: descs };
}

/** Writes every blob through the store's BlobSink; returns the manifest digest. */
export async function storeBlobs(store: ImageStore, built: BuiltBlobs): Promise<string> {
  for (const [digest, bytes] of built.blobs) {
    const w = await store.blobs.writer(digest, bytes.length);
    await w.write(bytes.subarray(w.offset));
    await w.commit();
  }
  return built.manifestDigest;
}

export async function storeImage(store: ImageStore, layers: LayerSpec[]): Promise<BuiltBlobs> {
  const built = buildImage(layers);
  await storeBlobs(store, built);
  return built;
}

/** An OCI image layout directory holding the image, named `ref` (org.opencontainers.image.ref.name). */
export function writeLayout(dirPath: string, built: BuiltBlobs, ref: string): void {
  mkdirSync(join(dirPath, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(join(dirPath, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  for (const [digest, bytes] of built.blobs) writeFileSync(join(dirPath, 'blobs', 'sha256', digest.slice(7)), bytes);
  const top = {
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: built.manifestDigest,
    size: built.blobs.get(built.manifestDigest)!.length,
    annotations: { 'org.opencontainers.image.ref.name': ref },
  };
  writeFileSync(join(dirPath, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [top] }));
}

/** Every path under `root` (relative), for "nothing left behind" assertions. */
export function listTree(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names) {
      const r = rel ? `${rel}/${n}` : n;
      out.push(r);
      walk(join(d, n), r);
    }
  };
  walk(root, '');
  return out.sort();
}
