// The built-in default image, `podsmith.local/busybox:1`: this host's static busybox (Debian's busybox-static)
// with a link per applet, made into a one-layer OCI image on first use. The demo, the examples and the tests
// run real pods from it with no registry and no network; it is never pulled (podsmith.local is not a registry).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { FIXED_MTIME, packTar, type TarEntry } from './archive/pack-tar';
import { loadImage } from './load';
import { parseReference, formatReference } from './reference';
import type { ImageStore } from './store';
import { ImageError } from './types';

export const BUILTIN_IMAGE = 'podsmith.local/busybox:1';
export const BUSYBOX_PATHS = ['/bin/busybox', '/usr/bin/busybox'];

export function findBusybox(): string | undefined {
  return BUSYBOX_PATHS.find((p) => existsSync(p));
}

/** Whether `image` (as a manifest writes it) names the built-in image. */
export function isBuiltinImage(image: string): boolean {
  try {
    return formatReference(parseReference(image)) === formatReference(parseReference(BUILTIN_IMAGE));
  } catch {
    return false;
  }
}

/** Writes the image as an OCI layout in `dir` (tagged `BUILTIN_IMAGE`); returns `dir`. */
export async function buildBusyboxLayout(dir: string, busybox = findBusybox()): Promise<string> {
  if (!busybox) throw new ImageError(`the built-in image ${BUILTIN_IMAGE} needs a static busybox: apt-get install busybox-static`, 'NOT_FOUND');
  const list = spawnSync(busybox, ['--list'], { encoding: 'utf8' });
  if (list.status !== 0) throw new ImageError(`${busybox} --list failed: ${list.stderr || list.error?.message}`, 'NOT_FOUND');
  const applets = list.stdout.split('\n').filter((a) => /^[\w.[\]-]+$/.test(a) && a !== 'busybox');
  const layerTar = await packTar([
    { path: 'bin', type: 'directory', mode: 0o755 },
    { path: 'bin/busybox', mode: 0o755, data: readFileSync(busybox) },
    ...applets.map((a): TarEntry => ({ path: `bin/${a}`, type: 'symlink', target: 'busybox' })),
    { path: 'etc', type: 'directory', mode: 0o755 },
    { path: 'etc/passwd', data: 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' },
    { path: 'etc/group', data: 'root:x:0:\nnogroup:x:65534:\n' },
    { path: 'tmp', type: 'directory', mode: 0o1777 },
    { path: 'root', type: 'directory', mode: 0o700 },
  ]);
  const blobs = join(dir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const put = (data: Buffer | string) => {
    const hex = createHash('sha256').update(data).digest('hex');
    writeFileSync(join(blobs, hex), data);
    return { digest: `sha256:${hex}`, size: Buffer.byteLength(data) };
  };
  const layer = put(gzipSync(layerTar));
  const config = put(
    JSON.stringify({
      created: FIXED_MTIME.toISOString(),
      architecture: 'amd64',
      os: 'linux',
      config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['/bin/sh'], WorkingDir: '/' },
      rootfs: { type: 'layers', diff_ids: [`sha256:${createHash('sha256').update(layerTar).digest('hex')}`] },
    }),
  );
  const manifest = put(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
    }),
  );
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': BUILTIN_IMAGE } }],
    }),
  );
  return dir;
}

/** The built-in image's digest in `store`, building and loading it first when absent. */
export async function ensureBuiltinImage(store: ImageStore, name = BUILTIN_IMAGE): Promise<string> {
  const present = await store.resolveImage(name);
  if (present) return present;
  const dir = mkdtempSync(join(tmpdir(), 'podsmith-builtin-'));
  try {
    await buildBusyboxLayout(dir);
    await loadImage(store, dir, { name });
    const digest = await store.resolveImage(name);
    if (!digest) throw new ImageError(`loading the built-in image ${name} stored nothing`, 'NOT_FOUND');
    return digest;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
