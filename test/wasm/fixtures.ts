// Shared setup of the wasm pod tests: the test programs compiled at test time (C with clang + wasi-libc,
// WAT with the npm wabt package) into a temporary directory, wasm images built as OCI layouts (a
// `application/vnd.wasm.content.layer.v1+wasm` artifact, an `application/wasm` one, and an ordinary tar-layer
// image whose entrypoint is a .wasm file) loaded into a fresh PODSMITH_HOME, runtimes, and a leak check that
// looks at the real system: sandboxes (processes, runc containers, cgroups, directories), pod directories,
// name links, mounts.
import { identity } from '../../engine/rootless/identity';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadImage } from '../../engine/image/load';
import { openStore } from '../../engine/image/store';
import { createWasmRuntime, type WasmRuntime, type WasmRuntimeOptions } from '../../engine/pods/wasm';
import type { PodEvent } from '../../engine/pods/types';
import type { PodRuntime } from '../../engine/pods/runtime';
import type { TarEntry } from '../../engine/image/archive/pack-tar';
import { tarFiles } from '../support/images';
import { homeLeaks } from '../support/leaks';

export { liveIdleSpares } from '../support/leaks';

export { container, podManifest, text, until } from '../pods/fixtures';

const PROGRAMS = join(__dirname, 'programs');

export const IMAGES = {
  /** tool.c as a wasm artifact (CNCF layer type, titled tool.wasm). */
  tool: 'podsmith.test/wasm-tool:1',
  /** tool.c as an `application/wasm` artifact. */
  toolApp: 'podsmith.test/wasm-tool-app:1',
  /** tool.c in an ordinary tar layer at /app/tool.wasm, the image's Entrypoint. */
  toolEntry: 'podsmith.test/wasm-tool-entry:1',
  hello: 'podsmith.test/wasm-hello:1',
  bigmem: 'podsmith.test/wasm-bigmem:1',
  badimport: 'podsmith.test/wasm-badimport:1',
  ehspin: 'podsmith.test/wasm-eh-spin:1',
  badinit: 'podsmith.test/wasm-badinit:1',
  raise: 'podsmith.test/wasm-raise:1',
  bigwrite: 'podsmith.test/wasm-bigwrite:1',
  /** tool.c at /app/tool.wasm in an image whose layer also holds the symlink `h -> /` (a hostile image). */
  escape: 'podsmith.test/wasm-escape:1',
} as const;

/** Why these tests cannot run here, or undefined. */
export function whyNoWasm(): string | undefined {
  if (process.platform !== 'linux') return 'wasm pods are tested on Linux';
  if (spawnSync('clang', ['--version']).status !== 0) return 'clang is not installed (apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32)';
  return undefined;
}

export interface Programs {
  tool: Buffer;
  hello: Buffer;
  bigmem: Buffer;
  badimport: Buffer;
  ehspin: Buffer;
  badinit: Buffer;
  raise: Buffer;
  bigwrite: Buffer;
}

/** Compiles the programs into a temporary directory (reused by the other test files of the run). */
export async function buildPrograms(): Promise<Programs> {
  const sources = readdirSync(PROGRAMS).sort();
  const hash = createHash('sha256');
  for (const s of sources) hash.update(s).update(readFileSync(join(PROGRAMS, s)));
  // Per host user: another user's build (0700) is not readable, as the rootless runs of the tests find.
  const out = join(tmpdir(), `podsmith-wasm-programs-${identity().hostUid}-${hash.digest('hex').slice(0, 16)}`);
  if (!existsSync(join(out, 'done'))) {
    const work = mkdtempSync(join(tmpdir(), 'podsmith-wasm-build-'));
    const cc = spawnSync('clang', ['--target=wasm32-wasi', '-O2', '-Wall', '-Wl,--strip-debug', join(PROGRAMS, 'tool.c'), '-o', join(work, 'tool.wasm')], { encoding: 'utf8' });
    if (cc.status !== 0) throw new Error(`clang could not build tool.c for wasm32-wasi (is wasi-libc installed?): ${cc.stderr}`);
    const wabt = await (await import('wabt')).default();
    for (const name of ['hello', 'bigmem', 'badimport', 'eh-spin', 'badinit', 'raise', 'bigwrite']) {
      const m = wabt.parseWat(`${name}.wat`, readFileSync(join(PROGRAMS, `${name}.wat`), 'utf8'), { exceptions: true });
      writeFileSync(join(work, `${name}.wasm`), Buffer.from(m.toBinary({}).buffer));
      m.destroy();
    }
    writeFileSync(join(work, 'done'), '');
    try {
      // Atomic: test files run in parallel processes, and the first to finish provides the programs.
      renameSync(work, out);
    } catch {
      rmSync(work, { recursive: true, force: true });
    }
  }
  const read = (n: string) => readFileSync(join(out, `${n}.wasm`));
  return { tool: read('tool'), hello: read('hello'), bigmem: read('bigmem'), badimport: read('badimport'), ehspin: read('eh-spin'), badinit: read('badinit'), raise: read('raise'), bigwrite: read('bigwrite') };
}

const sha256 = (b: Buffer | string) => 'sha256:' + createHash('sha256').update(b).digest('hex');

function layoutWriter(dir: string) {
  const blobs = join(dir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  return {
    put(data: Buffer | string) {
      const digest = sha256(data);
      writeFileSync(join(blobs, digest.slice(7)), data);
      return { digest, size: Buffer.byteLength(data) };
    },
    finish(manifest: Record<string, unknown>) {
      const text = JSON.stringify(manifest);
      const m = this.put(text);
      writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
      writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...m }] }));
      return dir;
    },
  };
}

/** An OCI artifact whose one layer is the module (wasm-to-oci / CNCF wasm artifact layout). */
export function wasmArtifactLayout(dir: string, module: Buffer, mediaType: string, title = 'module.wasm'): string {
  const w = layoutWriter(dir);
  const layer = w.put(module);
  const config = w.put(JSON.stringify({ architecture: 'wasm', os: 'wasip1', layerDigests: [layer.digest] }));
  return w.finish({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    artifactType: 'application/vnd.wasm.config.v0+json',
    config: { mediaType: 'application/vnd.wasm.config.v0+json', ...config },
    layers: [{ mediaType, ...layer, annotations: { 'org.opencontainers.image.title': title } }],
  });
}

/** An ordinary image (one gzip tar layer) whose Entrypoint is a .wasm file. */
export async function entrypointImageLayout(dir: string, module: Buffer, path: string, cmd: string[], extra: TarEntry[] = []): Promise<string> {
  const w = layoutWriter(dir);
  const parts = path.split('/').filter(Boolean);
  const files = parts.slice(0, -1).map((_, i) => ({ path: parts.slice(0, i + 1).join('/'), type: 'directory' as const }));
  const tar = await tarFiles([...files, { path: parts.join('/'), data: module, mode: 0o755 }, { path: 'etc', type: 'directory' }, { path: 'etc/motd', data: 'from the image\n' }, ...extra]);
  const layer = w.put(gzipSync(tar));
  const config = w.put(
    JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Entrypoint: [path], Cmd: cmd, Env: ['GREETING=from-image'], WorkingDir: '/' }, rootfs: { type: 'layers', diff_ids: [sha256(tar)] } }),
  );
  return w.finish({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
  });
}

/** Loads every test image into the store of `home`. */
export async function loadWasmImages(home: string, programs: Programs): Promise<void> {
  const store = await openStore(home);
  const work = mkdtempSync(join(tmpdir(), 'podsmith-wasm-layouts-'));
  try {
    const load = async (name: string, dir: string) => void (await loadImage(store, dir, { name }));
    const CNCF = 'application/vnd.wasm.content.layer.v1+wasm';
    await load(IMAGES.tool, wasmArtifactLayout(join(work, 'tool'), programs.tool, CNCF, 'tool.wasm'));
    await load(IMAGES.toolApp, wasmArtifactLayout(join(work, 'tool-app'), programs.tool, 'application/wasm', 'tool.wasm'));
    await load(IMAGES.toolEntry, await entrypointImageLayout(join(work, 'tool-entry'), programs.tool, '/app/tool.wasm', ['echo']));
    await load(IMAGES.hello, wasmArtifactLayout(join(work, 'hello'), programs.hello, CNCF, 'hello.wasm'));
    await load(IMAGES.bigmem, wasmArtifactLayout(join(work, 'bigmem'), programs.bigmem, CNCF));
    await load(IMAGES.badimport, wasmArtifactLayout(join(work, 'badimport'), programs.badimport, CNCF));
    await load(IMAGES.ehspin, wasmArtifactLayout(join(work, 'eh-spin'), programs.ehspin, CNCF));
    await load(IMAGES.badinit, wasmArtifactLayout(join(work, 'badinit'), programs.badinit, CNCF));
    await load(IMAGES.raise, wasmArtifactLayout(join(work, 'raise'), programs.raise, CNCF));
    await load(IMAGES.bigwrite, wasmArtifactLayout(join(work, 'bigwrite'), programs.bigwrite, CNCF));
    await load(IMAGES.escape, await entrypointImageLayout(join(work, 'escape'), programs.tool, '/app/tool.wasm', ['echo'], [{ path: 'h', type: 'symlink', target: '/' }]));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * What a wasm runtime left on the system for this home: empty when clean (test/support/leaks.ts homeLeaks:
 * sandboxes with their processes, runc containers and cgroups, mounts, pod directories, name links). The idle
 * spare of a runtime still open is not a leak unless `strict` (after every runtime was closed).
 */
export function wasmLeaks(home: string, strict = false): string[] {
  return homeLeaks(home, strict);
}

export interface WasmTestEnv {
  home: string;
  programs: Programs;
  runtime: WasmRuntime;
  /** Another runtime instance on the same home (a restarted daemon). */
  newRuntime(options?: Partial<WasmRuntimeOptions>): WasmRuntime;
  /** Force-deletes every pod left, then returns the leaks. */
  cleanup(): Promise<string[]>;
  dispose(): Promise<void>;
}

export async function wasmTestEnv(options: Partial<WasmRuntimeOptions> = {}): Promise<WasmTestEnv> {
  const programs = await buildPrograms();
  const home = mkdtempSync(join(tmpdir(), 'podsmith-wasm-'));
  await loadWasmImages(home, programs);
  const runtimes: WasmRuntime[] = [];
  const newRuntime = (more: Partial<WasmRuntimeOptions> = {}) => {
    const r = createWasmRuntime({ home, ...options, ...more });
    runtimes.push(r);
    return r;
  };
  const runtime = newRuntime();
  return {
    home,
    programs,
    runtime,
    newRuntime,
    async cleanup() {
      for (const p of await runtime.listPods()) await runtime.deletePod({ pod: p.uid, force: true }).catch(() => undefined);
      return wasmLeaks(home);
    },
    async dispose() {
      for (const r of runtimes) await r.close();
      // Closed runtimes have no spare supervisors left either.
      const left = wasmLeaks(home, true);
      rmSync(home, { recursive: true, force: true });
      if (left.length > 0) throw new Error(`left after every runtime closed: ${left.join('; ')}`);
    },
  };
}

/** Resolves with the first event matching `match` (subscribe before causing it). */
export function nextEvent(runtime: PodRuntime, match: (e: PodEvent) => boolean, timeoutMs = 15_000): Promise<PodEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error('timed out waiting for an event'));
    }, timeoutMs);
    const off = runtime.watch((e) => {
      if (!match(e)) return;
      clearTimeout(timer);
      off();
      resolve(e);
    });
  });
}

/** A pod-wasm pod manifest. */
export function wasmPod(name: string, spec: Record<string, unknown>, extra: Record<string, unknown>[] = [], annotations?: Record<string, string>): string {
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name, ...(annotations ? { annotations } : {}) }, spec: { runtimeClassName: 'pod-wasm', ...spec } };
  return [pod, ...extra].map((d) => JSON.stringify(d, null, 2)).join('\n---\n') + '\n';
}
