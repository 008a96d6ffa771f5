// What a remote host needs to run the engine, taken from this installation: the CLI (dist/podsmith.js, which is
// also the daemon, and the two bundles it loads), the wasm supervisor bundle beside it, and koffi (the FFI the
// engine's ptys, fd passing and flock use) with only its prebuilt native module for the remote's architecture
// and C library.
// The bundle's name is the Podsmith version plus a hash of every file's path, mode and SHA-256, so one
// directory per content in the remote user's cache, and an unchanged bundle is never uploaded twice.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { version } from '../../package.json';

export interface BundleFile {
  /** Path inside the bundle directory, with `/`. */
  path: string;
  /** The local file. */
  source: string;
  mode: number;
  size: number;
  /** The local file's modification time when it was hashed. */
  mtimeMs: number;
  sha256: string;
}

function sameFile(st: { size: number; mtimeMs: number }, f: BundleFile): boolean {
  return st.size === f.size && st.mtimeMs === f.mtimeMs;
}

export interface EngineBundle {
  /** `<version>-<hash>`: the directory name on the remote. */
  id: string;
  hash: string;
  files: BundleFile[];
}

/** koffi's name for an architecture (its build/koffi/<os>_<arch> directories), from Node's process.arch. */
const KOFFI_ARCH: Record<string, string> = { x64: 'x64', arm64: 'arm64', arm: 'armhf', ia32: 'ia32', loong64: 'loong64', riscv64: 'riscv64d' };

/** dist/ of this installation: beside this code in a bundle, else the repository's dist (built by npm run build). */
export function localDistDir(): string {
  return __filename.endsWith('.ts') ? join(__dirname, '..', '..', 'dist') : __dirname;
}

function koffiDir(dist: string): string | undefined {
  for (const candidate of [join(dist, 'node_modules', 'koffi'), join(dist, '..', 'node_modules', 'koffi')]) {
    if (existsSync(join(candidate, 'package.json'))) return candidate;
  }
  try {
    return dirname(require.resolve('koffi/package.json'));
  } catch {
    return undefined;
  }
}

const cache = new Map<string, EngineBundle>();

/** The bundle for a Linux host of that Node architecture and C library; throws naming what is missing. */
export function engineBundle(arch: string, libc: 'glibc' | 'musl', dist = localDistDir()): EngineBundle {
  const key = `${dist}|${arch}|${libc}`;
  const hit = cache.get(key);
  // Rebuilt (npm run build) since: hash again. The modification time too, for a rebuild of the same size.
  if (hit && hit.files.every((f) => sameFile(statSync(f.source), f))) return hit;
  const koffiArch = KOFFI_ARCH[arch];
  if (!koffiArch) throw new Error(`the engine does not support ${arch} hosts (koffi has no prebuilt module for it)`);
  const podsmith = join(dist, 'podsmith.js');
  if (!existsSync(podsmith)) throw new Error(`${podsmith} is missing: build the engine first (npm run build)`);
  const koffi = koffiDir(dist);
  if (!koffi) throw new Error(`koffi is not installed beside ${dist}: the remote engine needs its native module`);
  const triplet = `${libc === 'musl' ? 'musl' : 'linux'}_${koffiArch}`;
  const native = join(koffi, 'build', 'koffi', triplet, 'koffi.node');
  if (!existsSync(native)) throw new Error(`koffi has no prebuilt module for ${triplet} (${native}): the engine cannot run on that host`);

  const entries: [string, string, number][] = [
    ['podsmith.js', podsmith, 0o755],
    // podsmith.js is the small entry: it loads one of these two bundles, which hold the commands and the daemon.
    ['podsmith-pods.js', join(dist, 'podsmith-pods.js'), 0o644],
    ['podsmith-engine.js', join(dist, 'podsmith-engine.js'), 0o644],
    ['wasm-supervisor.js', join(dist, 'wasm-supervisor.js'), 0o644],
    // The microVM guest's agent: without it the remote daemon would need esbuild to build it from sources.
    ['microvm-agent.js', join(dist, 'microvm-agent.js'), 0o644],
    ['node_modules/koffi/package.json', join(koffi, 'package.json'), 0o644],
    ['node_modules/koffi/index.js', join(koffi, 'index.js'), 0o644],
    [`node_modules/koffi/build/koffi/${triplet}/koffi.node`, native, 0o755],
  ];
  const files = entries.map(([path, source, mode]) => {
    const mtimeMs = statSync(source).mtimeMs;
    const data = readFileSync(source);
    return { path, source, mode, size: data.length, mtimeMs, sha256: createHash('sha256').update(data).digest('hex') };
  });
  const h = createHash('sha256');
  for (const f of files) h.update(`${f.path}\0${f.mode.toString(8)}\0${f.sha256}\n`);
  const hash = h.digest('hex').slice(0, 32);
  const bundle = { id: `${version}-${hash}`, hash, files };
  cache.set(key, bundle);
  return bundle;
}
