// Test images built locally (nothing can be pulled from the internet): OCI image layouts written by hand
// with tar-stream + gzip (or the zstd CLI), pushed to a test registry with skopeo or plain HTTP uploads.
//
//   const images = await createTestImages();          // one temp dir per test file; images built lazily, once
//   const bb = await images.busybox();                // BuiltImage
//   await pushTestImage(bb, registry, 'busybox:1');   // skopeo copy oci:DIR:TAG docker://HOST/busybox:1
//   ...
//   images.dispose();                                 // in after()
//
// What each image holds (linux; the busybox binary is the host's static amd64 one):
//   busybox    1 gzip layer: /bin/busybox, /bin/{sh,ls,cat,echo,true} -> busybox, /etc/passwd, /etc/group,
//              /tmp (1777). Config: Cmd ["/bin/sh"], Env PATH, WorkingDir /.
//   multiLayer 3 gzip layers: the busybox layer; then /a/keep, /a/gone, /dir/old1, /dir/sub/old2,
//              /hard (hardlink to /a/keep), /link -> /a/keep; then /a/.wh.gone (whiteout), /dir/.wh..wh..opq
//              (opaque dir) with /dir/new, and /etc/motd. Result: /a/keep, /dir/new only, /hard, /link, /etc/motd.
//   multiArch  OCI index: linux/amd64 (the busybox image), linux/arm64/v8 and linux/arm/v7 (one layer each
//              with /etc/arch = "arm64" / "armv7"). Pushed with `skopeo copy --all`.
//   dockerList the same three platforms as a Docker v2 schema 2 manifest list with Docker media types.
//              Pushed with plain HTTP uploads.
//   zstd       the busybox files in one `tar+zstd` layer (OCI manifest). Pushed with plain HTTP uploads.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { FIXED_MTIME, packTar, type TarEntry } from '../../engine/image/archive/pack-tar';
import type { Descriptor, ImageConfig, ImageIndex, ImageManifest, Platform } from '../../engine/image/types';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
const OCI_LAYER_ZSTD = 'application/vnd.oci.image.layer.v1.tar+zstd';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
const DOCKER_LAYER = 'application/vnd.docker.image.rootfs.diff.tar.gzip';


export type FileSpec = TarEntry;

export interface BuiltLayer extends Descriptor {
  /** sha256 of the uncompressed tar (the config's diff_id). */
  diffId: string;
}

export interface BuiltManifest {
  digest: string;
  size: number;
  mediaType: string;
  manifest: ImageManifest;
  config: ImageConfig;
  configDescriptor: Descriptor;
  layers: BuiltLayer[];
  platform: Platform;
}

export interface BuiltImage {
  name: 'busybox' | 'multiLayer' | 'multiArch' | 'dockerList' | 'zstd';
  /** OCI layout directory; `oci:${layout}:${tag}` is the skopeo source. */
  layout: string;
  tag: string;
  /** The top-level object the tag points to (a manifest, or an index / manifest list). */
  digest: string;
  mediaType: string;
  size: number;
  /** Single-platform images: the manifest. Indexes: undefined. */
  manifest?: BuiltManifest;
  /** Indexes / manifest lists: one entry per platform, in index order. */
  platforms?: BuiltManifest[];
  /** How pushTestImage uploads it. */
  pushWith: 'skopeo' | 'http';
}

const sha256 = (b: Buffer | string): string => 'sha256:' + createHash('sha256').update(b).digest('hex');

/** Packs files into an uncompressed tar, in the order given (the engine's own packer). */
export const tarFiles = (files: FileSpec[]): Promise<Buffer> => packTar(files);

function zstdCompress(data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('zstd', ['-q', '-c', '-3'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`zstd exited ${code}: ${err}`))));
    child.stdin.end(data);
  });
}

function busyboxFiles(): FileSpec[] {
  const applets = ['sh', 'ls', 'cat', 'echo', 'true'];
  return [
    { path: 'bin', type: 'directory' },
    { path: 'bin/busybox', data: readFileSync('/bin/busybox'), mode: 0o755 },
    ...applets.map((a): FileSpec => ({ path: `bin/${a}`, type: 'symlink', target: 'busybox' })),
    { path: 'etc', type: 'directory' },
    { path: 'etc/passwd', data: 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' },
    { path: 'etc/group', data: 'root:x:0:\nnogroup:x:65534:\n' },
    { path: 'tmp', type: 'directory', mode: 0o1777 },
  ];
}

/** Writes blobs into an OCI layout as they are produced. */
class Layout {
  constructor(readonly dir: string) {
    mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
    writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  }
  blob(data: Buffer | string): { digest: string; size: number } {
    const buf = Buffer.from(data);
    const digest = sha256(buf);
    writeFileSync(join(this.dir, 'blobs', 'sha256', digest.slice(7)), buf);
    return { digest, size: buf.length };
  }
  read(digest: string): Buffer {
    return readFileSync(join(this.dir, 'blobs', 'sha256', digest.slice(7)));
  }
  index(top: Descriptor, tag: string): void {
    const desc = { ...top, annotations: { 'org.opencontainers.image.ref.name': tag } };
    writeFileSync(join(this.dir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [desc] }));
  }
}

interface LayerInput {
  files: FileSpec[];
  compression?: 'gzip' | 'zstd';
  mediaType?: string;
}

async function writeLayer(layout: Layout, input: LayerInput): Promise<BuiltLayer> {
  const raw = await tarFiles(input.files);
  const compressed = input.compression === 'zstd' ? await zstdCompress(raw) : gzipSync(raw, { level: 6 });
  const { digest, size } = layout.blob(compressed);
  const mediaType = input.mediaType ?? (input.compression === 'zstd' ? OCI_LAYER_ZSTD : OCI_LAYER_GZIP);
  return { mediaType, digest, size, diffId: sha256(raw) };
}

interface ManifestInput {
  layers: LayerInput[];
  platform: Platform;
  docker?: boolean;
}

async function writeManifest(layout: Layout, input: ManifestInput): Promise<BuiltManifest> {
  const layers: BuiltLayer[] = [];
  for (const l of input.layers) layers.push(await writeLayer(layout, { ...l, mediaType: input.docker ? DOCKER_LAYER : l.mediaType }));
  const config: ImageConfig = {
    architecture: input.platform.architecture,
    os: input.platform.os,
    ...(input.platform.variant ? { variant: input.platform.variant } : {}),
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['/bin/sh'], WorkingDir: '/' },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
  };
  const cfg = layout.blob(JSON.stringify({ created: FIXED_MTIME.toISOString(), ...config }));
  const configDescriptor: Descriptor = { mediaType: input.docker ? DOCKER_CONFIG : OCI_CONFIG, ...cfg };
  const mediaType = input.docker ? DOCKER_MANIFEST : OCI_MANIFEST;
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType,
    config: configDescriptor,
    layers: layers.map(({ mediaType: m, digest, size }) => ({ mediaType: m, digest, size })),
  };
  const { digest, size } = layout.blob(JSON.stringify(manifest));
  return { digest, size, mediaType, manifest, config, configDescriptor, layers, platform: input.platform };
}

async function writeIndex(layout: Layout, platforms: ManifestInput[], docker: boolean): Promise<{ digest: string; size: number; mediaType: string; platforms: BuiltManifest[] }> {
  const built: BuiltManifest[] = [];
  for (const p of platforms) built.push(await writeManifest(layout, { ...p, docker }));
  const mediaType = docker ? DOCKER_LIST : OCI_INDEX;
  const index: ImageIndex = {
    schemaVersion: 2,
    mediaType,
    manifests: built.map((m) => ({ mediaType: m.mediaType, digest: m.digest, size: m.size, platform: m.platform })),
  };
  const { digest, size } = layout.blob(JSON.stringify(index));
  return { digest, size, mediaType, platforms: built };
}

const archLayer = (arch: string): LayerInput => ({ files: [{ path: 'etc', type: 'directory' }, { path: 'etc/arch', data: arch + '\n' }] });
const PLATFORMS: ManifestInput[] = [
  { platform: { os: 'linux', architecture: 'amd64' }, layers: [{ files: busyboxFiles() }] },
  { platform: { os: 'linux', architecture: 'arm64', variant: 'v8' }, layers: [archLayer('arm64')] },
  { platform: { os: 'linux', architecture: 'arm', variant: 'v7' }, layers: [archLayer('armv7')] },
];

export class TestImages {
  private readonly cache = new Map<string, Promise<BuiltImage>>();
  constructor(readonly dir: string) {}

  busybox(): Promise<BuiltImage> {
    return this.once('busybox', async (layout) => {
      const m = await writeManifest(layout, { platform: { os: 'linux', architecture: 'amd64' }, layers: [{ files: busyboxFiles() }] });
      return { manifest: m, top: m, pushWith: 'skopeo' };
    });
  }

  multiLayer(): Promise<BuiltImage> {
    return this.once('multiLayer', async (layout) => {
      const m = await writeManifest(layout, {
        platform: { os: 'linux', architecture: 'amd64' },
        layers: [
          { files: busyboxFiles() },
          {
            files: [
              { path: 'a', type: 'directory' },
              { path: 'a/keep', data: 'keep\n' },
              { path: 'a/gone', data: 'gone\n' },
              { path: 'dir', type: 'directory' },
              { path: 'dir/old1', data: 'old1\n' },
              { path: 'dir/sub', type: 'directory' },
              { path: 'dir/sub/old2', data: 'old2\n' },
              { path: 'hard', type: 'link', target: 'a/keep' },
              { path: 'link', type: 'symlink', target: '/a/keep' },
            ],
          },
          {
            files: [
              { path: 'a', type: 'directory' },
              { path: 'a/.wh.gone', data: '' },
              { path: 'dir', type: 'directory' },
              { path: 'dir/.wh..wh..opq', data: '' },
              { path: 'dir/new', data: 'new\n' },
              { path: 'etc', type: 'directory' },
              { path: 'etc/motd', data: 'hello from layer 3\n' },
            ],
          },
        ],
      });
      return { manifest: m, top: m, pushWith: 'skopeo' };
    });
  }

  multiArch(): Promise<BuiltImage> {
    return this.once('multiArch', async (layout) => {
      const idx = await writeIndex(layout, PLATFORMS, false);
      return { platforms: idx.platforms, top: idx, pushWith: 'skopeo' };
    });
  }

  dockerList(): Promise<BuiltImage> {
    return this.once('dockerList', async (layout) => {
      const idx = await writeIndex(layout, PLATFORMS, true);
      return { platforms: idx.platforms, top: idx, pushWith: 'http' };
    });
  }

  zstd(): Promise<BuiltImage> {
    return this.once('zstd', async (layout) => {
      const m = await writeManifest(layout, { platform: { os: 'linux', architecture: 'amd64' }, layers: [{ files: busyboxFiles(), compression: 'zstd' }] });
      return { manifest: m, top: m, pushWith: 'http' };
    });
  }

  /** Removes every layout this instance built. */
  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private once(
    name: BuiltImage['name'],
    build: (layout: Layout) => Promise<{ manifest?: BuiltManifest; platforms?: BuiltManifest[]; top: { digest: string; size: number; mediaType: string }; pushWith: BuiltImage['pushWith'] }>,
  ): Promise<BuiltImage> {
    let p = this.cache.get(name);
    if (!p) {
      p = (async () => {
        const layout = new Layout(join(this.dir, name));
        const tag = 'latest';
        const r = await build(layout);
        layout.index({ mediaType: r.top.mediaType, digest: r.top.digest, size: r.top.size }, tag);
        return { name, layout: layout.dir, tag, digest: r.top.digest, mediaType: r.top.mediaType, size: r.top.size, manifest: r.manifest, platforms: r.platforms, pushWith: r.pushWith };
      })();
      this.cache.set(name, p);
    }
    return p;
  }
}

export async function createTestImages(): Promise<TestImages> {
  return new TestImages(mkdtempSync(join(tmpdir(), 'podsmith-images-')));
}

/** Reads a blob of a built image's layout. */
export function readLayoutBlob(image: BuiltImage, digest: string): Buffer {
  return new Layout(image.layout).read(digest);
}

export interface PushTarget {
  host: string;
  user?: { username: string; password: string };
}

/** Pushes a built image to `target` as `repoTag` (`name:tag`). Over plain HTTP: test registries only. */
export async function pushTestImage(image: BuiltImage, target: PushTarget, repoTag: string): Promise<void> {
  if (image.pushWith === 'skopeo') return skopeoPush(image, target, repoTag);
  return httpPush(image, target, repoTag);
}

function skopeoPush(image: BuiltImage, target: PushTarget, repoTag: string): Promise<void> {
  const args = ['copy', '--quiet', '--dest-tls-verify=false'];
  if (image.platforms) args.push('--all');
  // Credentials go through a file, not argv, so they stay out of process listings.
  let authDir: string | undefined;
  if (target.user) {
    authDir = mkdtempSync(join(tmpdir(), 'podsmith-skopeo-auth-'));
    const authFile = join(authDir, 'auth.json');
    const auth = Buffer.from(`${target.user.username}:${target.user.password}`).toString('base64');
    writeFileSync(authFile, JSON.stringify({ auths: { [target.host]: { auth } } }), { mode: 0o600 });
    args.push('--dest-authfile', authFile);
  }
  args.push(`oci:${image.layout}:${image.tag}`, `docker://${target.host}/${repoTag}`);
  return new Promise((resolve, reject) => {
    // A private policy: the host may have none at /etc/containers/policy.json.
    const child = spawn('skopeo', ['--insecure-policy', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (authDir) rmSync(authDir, { recursive: true, force: true });
      code === 0 ? resolve() : reject(new Error(`skopeo copy to ${target.host}/${repoTag} failed (${code}): ${err}`));
    });
  });
}

/** Monolithic uploads (POST, then PUT ?digest=) and manifest PUTs, written against the distribution API. */
async function httpPush(image: BuiltImage, target: PushTarget, repoTag: string): Promise<void> {
  const [repo, tag] = splitRepoTag(repoTag);
  const base = `http://${target.host}/v2/${repo}`;
  const headers: Record<string, string> = {};
  if (target.user) headers.authorization = 'Basic ' + Buffer.from(`${target.user.username}:${target.user.password}`).toString('base64');
  const layout = new Layout(image.layout);

  async function check(res: Response, what: string, ok: number[]): Promise<void> {
    const body = await res.text();
    if (!ok.includes(res.status)) throw new Error(`${what}: HTTP ${res.status} ${body}`);
  }
  async function blob(desc: Descriptor): Promise<void> {
    const head = await fetch(`${base}/blobs/${desc.digest}`, { method: 'HEAD', headers });
    if (head.status === 200) return;
    const start = await fetch(`${base}/blobs/uploads/`, { method: 'POST', headers });
    await check(start, `start upload of ${desc.digest}`, [202]);
    const loc = new URL(start.headers.get('location')!, base);
    loc.searchParams.set('digest', desc.digest);
    const put = await fetch(loc, { method: 'PUT', headers: { ...headers, 'content-type': 'application/octet-stream' }, body: layout.read(desc.digest) });
    await check(put, `upload ${desc.digest}`, [201]);
  }
  async function manifest(ref: string, digest: string, mediaType: string): Promise<void> {
    const put = await fetch(`${base}/manifests/${ref}`, { method: 'PUT', headers: { ...headers, 'content-type': mediaType }, body: layout.read(digest) });
    await check(put, `put manifest ${ref}`, [201]);
  }
  for (const m of image.platforms ?? [image.manifest!]) {
    for (const l of m.layers) await blob(l);
    await blob(m.configDescriptor);
    await manifest(image.platforms ? m.digest : tag, m.digest, m.mediaType);
  }
  if (image.platforms) await manifest(tag, image.digest, image.mediaType);
}

function splitRepoTag(repoTag: string): [string, string] {
  const i = repoTag.lastIndexOf(':');
  return i > repoTag.lastIndexOf('/') ? [repoTag.slice(0, i), repoTag.slice(i + 1)] : [repoTag, 'latest'];
}

/** Whether the zstd CLI needed by `zstd()` exists (tests skip the zstd case with a clear reason otherwise). */
export function hasZstd(): boolean {
  return spawnSync('zstd', ['--version']).status === 0;
}
