// The image the pull scenario moves around: four gzip layers, ~45 MB of files in ~3,900 entries, built
// deterministically (same digests every run) and written as an OCI layout, then pushed with skopeo.
//
//   1 base     a busybox rootfs: the static binary, one symlink per applet, /etc, /tmp, a hardlink
//   2 libs     shared-library-like blobs (half incompressible, half table-like) with .so symlinks, plus docs
//   3 app      a node_modules-style tree: thousands of small source files and a few larger bundles
//   4 update   config files, two replaced libraries, whiteouts of one file and two packages, an opaque dir
//
// Content is pseudo-random text and bytes (never zeros), so gzip and gunzip do real work.
import { spawn, spawnSync } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { tarFiles, type FileSpec } from '../test/support/images';

const gzipAsync = promisify(gzip);

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';

export interface BenchImage {
  /** OCI layout directory; `oci:${layout}:${tag}` is the skopeo source. */
  layout: string;
  tag: string;
  manifestDigest: string;
  layers: { digest: string; size: number; diffId: string; tarBytes: number; entries: number }[];
  /** Size of the config blob (a cold pull downloads it and the layers). */
  configBytes: number;
  /** Sum of the compressed layer sizes. */
  compressedBytes: number;
  /** Sum of the uncompressed tar sizes. */
  tarBytes: number;
  /** Tar entries over all layers. */
  entries: number;
}

/** mulberry32: tiny, fast and the same on every machine. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Deterministic incompressible bytes: AES-CTR keystream from a seed (much faster than a JS PRNG per byte). */
function noise(seed: string, length: number): Buffer {
  const key = createHash('sha256').update(seed).digest();
  return createCipheriv('aes-256-ctr', key, key.subarray(0, 16)).update(Buffer.alloc(length));
}

/** Source-code-like text from a fixed vocabulary: compresses about as well as real JavaScript. */
class TextGen {
  private readonly words: string[];
  constructor(private readonly rand: () => number) {
    const letters = 'abcdefghijklmnopqrstuvwxyz';
    this.words = Array.from({ length: 600 }, () => {
      const len = 2 + Math.floor(rand() * 9);
      let w = '';
      for (let i = 0; i < len; i++) w += letters[Math.floor(rand() * letters.length)];
      return w;
    });
  }
  private word(): string {
    // Skewed towards the first words, like identifiers in real code.
    return this.words[Math.floor(this.rand() ** 2 * this.words.length)];
  }
  text(bytes: number): Buffer {
    const lines: string[] = [];
    let size = 0;
    const shapes = [
      () => `const ${this.word()} = require('./${this.word()}');`,
      () => `function ${this.word()}(${this.word()}, ${this.word()}) {`,
      () => `  if (${this.word()}.${this.word()} === ${Math.floor(this.rand() * 1000)}) return ${this.word()};`,
      () => `  ${this.word()}.${this.word()}(${this.word()}, '${this.word()} ${this.word()}');`,
      () => '}',
      () => `// ${this.word()} ${this.word()} ${this.word()} ${this.word()} ${this.word()}`,
    ];
    while (size < bytes) {
      const line = shapes[Math.floor(this.rand() * shapes.length)]();
      lines.push(line);
      size += line.length + 1;
    }
    return Buffer.from(lines.join('\n') + '\n').subarray(0, bytes);
  }
}

/** Library-like content: 4 KiB blocks, each either noise (code, compressed data) or text (tables, strings). */
function binaryish(seed: string, bytes: number, gen: TextGen, rand: () => number): Buffer {
  const blocks: Buffer[] = [];
  const random = noise(seed, bytes);
  for (let off = 0; off < bytes; off += 4096) {
    const n = Math.min(4096, bytes - off);
    blocks.push(rand() < 0.5 ? random.subarray(off, off + n) : gen.text(n));
  }
  return Buffer.concat(blocks);
}

function dirs(paths: string[]): FileSpec[] {
  return paths.map((path) => ({ path, type: 'directory' }));
}

function baseLayer(): FileSpec[] {
  const applets = spawnSync('/bin/busybox', ['--list'], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter((a) => a && a !== 'busybox')
    .sort();
  return [
    ...dirs(['bin', 'sbin', 'etc', 'root', 'var', 'var/log', 'usr', 'usr/bin', 'usr/lib', 'usr/share', 'usr/share/doc']),
    { path: 'tmp', type: 'directory', mode: 0o1777 },
    { path: 'bin/busybox', data: readFileSync('/bin/busybox'), mode: 0o755 },
    ...applets.map((a): FileSpec => ({ path: `bin/${a}`, type: 'symlink', target: 'busybox' })),
    { path: 'usr/bin/env', type: 'link', target: 'bin/busybox' },
    { path: 'etc/passwd', data: 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' },
    { path: 'etc/group', data: 'root:x:0:\nnogroup:x:65534:\n' },
    { path: 'etc/hosts', data: '127.0.0.1\tlocalhost\n::1\tlocalhost\n' },
    { path: 'etc/os-release', data: 'NAME="Podsmith bench"\nID=podsmith-bench\n' },
  ];
}

function libsLayer(gen: TextGen, rand: () => number): FileSpec[] {
  const out: FileSpec[] = dirs(['usr', 'usr/lib', 'usr/lib/x86_64-linux-gnu', 'usr/share', 'usr/share/doc']);
  for (let i = 0; i < 40; i++) {
    const size = 64 * 1024 + Math.floor(rand() * 1000 * 1024);
    const name = `usr/lib/x86_64-linux-gnu/libbench${i}.so`;
    out.push({ path: `${name}.1`, data: binaryish(`lib${i}`, size, gen, rand), mode: 0o755 });
    out.push({ path: name, type: 'symlink', target: `libbench${i}.so.1` });
  }
  for (let i = 0; i < 300; i++) {
    out.push({ path: `usr/share/doc/pkg${i}`, type: 'directory' });
    out.push({ path: `usr/share/doc/pkg${i}/copyright`, data: gen.text(300 + Math.floor(rand() * 2000)) });
  }
  return out;
}

/** Mostly small files with a long tail, like a real node_modules. */
function appFileSize(rand: () => number): number {
  const r = rand();
  if (r < 0.6) return 200 + Math.floor(rand() * 2000);
  if (r < 0.9) return 2000 + Math.floor(rand() * 8000);
  if (r < 0.99) return 10_000 + Math.floor(rand() * 30_000);
  return 100_000 + Math.floor(rand() * 300_000);
}

function appLayer(gen: TextGen, rand: () => number): FileSpec[] {
  const out: FileSpec[] = dirs(['app', 'app/node_modules']);
  for (let p = 0; p < 300; p++) {
    const pkg = `app/node_modules/pkg-${p}`;
    out.push(...dirs([pkg, `${pkg}/lib`]));
    out.push({ path: `${pkg}/package.json`, data: JSON.stringify({ name: `pkg-${p}`, version: `1.${p}.0`, main: 'index.js' }, null, 2) + '\n' });
    out.push({ path: `${pkg}/README.md`, data: gen.text(500 + Math.floor(rand() * 3000)) });
    out.push({ path: `${pkg}/index.js`, data: gen.text(appFileSize(rand)) });
    const files = 4 + Math.floor(rand() * 9);
    for (let f = 0; f < files; f++) out.push({ path: `${pkg}/lib/m${f}.js`, data: gen.text(appFileSize(rand)) });
  }
  for (let b = 0; b < 4; b++) out.push({ path: `app/bundle-${b}.js`, data: gen.text(1_500_000 + Math.floor(rand() * 500_000)) });
  return out;
}

function updateLayer(gen: TextGen, rand: () => number): FileSpec[] {
  const out: FileSpec[] = dirs(['app', 'app/config', 'app/node_modules', 'usr', 'usr/lib', 'usr/lib/x86_64-linux-gnu', 'usr/share', 'usr/share/doc', 'usr/share/doc/pkg7', 'etc']);
  for (let i = 0; i < 120; i++) out.push({ path: `app/config/c${i}.json`, data: JSON.stringify({ id: i, text: gen.text(200 + Math.floor(rand() * 1500)).toString() }) });
  for (const i of [3, 17]) out.push({ path: `usr/lib/x86_64-linux-gnu/libbench${i}.so.1`, data: binaryish(`lib${i}-v2`, 900 * 1024, gen, rand), mode: 0o755 });
  out.push({ path: 'app/node_modules/.wh.pkg-11', data: '' });
  out.push({ path: 'app/node_modules/.wh.pkg-12', data: '' });
  out.push({ path: 'usr/share/doc/pkg7/.wh..wh..opq', data: '' });
  out.push({ path: 'usr/share/doc/pkg7/NEWS', data: gen.text(4000) });
  out.push({ path: 'etc/.wh.hosts', data: '' });
  out.push({ path: 'etc/motd', data: 'built for the pull bench\n' });
  return out;
}

const sha256 = (b: Buffer | string): string => 'sha256:' + createHash('sha256').update(b).digest('hex');

/** Builds the image into `dir` (an OCI layout). Layers are gzipped concurrently on libuv's thread pool. */
export async function buildBenchImage(dir: string): Promise<BenchImage> {
  const rand = rng(20240101);
  const gen = new TextGen(rand);
  const specs = [baseLayer(), libsLayer(gen, rand), appLayer(gen, rand), updateLayer(gen, rand)];
  const tars = await Promise.all(specs.map((files) => tarFiles(files)));
  const gzipped = await Promise.all(tars.map((t) => gzipAsync(t, { level: 6 })));

  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const blob = (data: Buffer | string): { digest: string; size: number } => {
    const buf = Buffer.from(data);
    const digest = sha256(buf);
    writeFileSync(join(dir, 'blobs', 'sha256', digest.slice(7)), buf);
    return { digest, size: buf.length };
  };

  const layers = gzipped.map((gz, i) => ({ ...blob(gz), diffId: sha256(tars[i]), tarBytes: tars[i].length, entries: specs[i].length }));
  const config = blob(
    JSON.stringify({
      created: '2024-01-01T00:00:00Z',
      architecture: 'amd64',
      os: 'linux',
      config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['/bin/sh'], WorkingDir: '/' },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    }),
  );
  const manifest = blob(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, ...config },
      layers: layers.map((l) => ({ mediaType: OCI_LAYER_GZIP, digest: l.digest, size: l.size })),
    }),
  );
  const tag = 'bench';
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, ...manifest, annotations: { 'org.opencontainers.image.ref.name': tag } }] }),
  );
  const sum = (f: (l: (typeof layers)[number]) => number): number => layers.reduce((s, l) => s + f(l), 0);
  return { layout: dir, tag, manifestDigest: manifest.digest, layers, configBytes: config.size, compressedBytes: sum((l) => l.size), tarBytes: sum((l) => l.tarBytes), entries: sum((l) => l.entries) };
}

/** Runs a command to completion; rejects with its stderr on a non-zero exit. */
export function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-4000)));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} failed (${code}): ${err}`))));
  });
}

/** Pushes the layout to a plain-HTTP test registry. --insecure-policy: the host's policy.json is not ours to rely on. */
export function pushBenchImage(image: BenchImage, host: string, repoTag: string): Promise<void> {
  return run('skopeo', ['--insecure-policy', 'copy', '--quiet', '--dest-tls-verify=false', `oci:${image.layout}:${image.tag}`, `docker://${host}/${repoTag}`]);
}
