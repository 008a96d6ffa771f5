// Shared setup of the pod tests: a temporary PODSMITH_HOME, a busybox image with every applet linked in
// /bin (built by hand as an OCI layout and loaded into the store, so no registry is needed), a runtime, the
// leak checker, and helpers that wait on real state (events, bounded polling) instead of sleeping.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadImage } from '../../engine/image/load';
import { openStore } from '../../engine/image/store';
import { createNativeRuntime, type NativeRuntime, type NativeRuntimeOptions } from '../../engine/pods/native';
import type { PodEvent, PodStatus } from '../../engine/pods/types';
import { LeakTracker } from '../support/leaks';
import { tarFiles, type FileSpec } from '../support/images';

export const IMAGE = 'podsmith.test/busybox-full:1';

/** Why the native pod tests cannot run here, or undefined. */
export function whyNoNativePods(): string | undefined {
  if (process.platform !== 'linux') return 'native pods need Linux';
  if (process.getuid?.() !== 0) return 'native pods need root here';
  for (const [bin, pkg] of [['runc', 'runc'], ['conmon', 'conmon'], ['catatonit', 'catatonit'], ['nsenter', 'util-linux']]) {
    if (spawnSync('sh', ['-c', `command -v ${bin} || test -x /usr/sbin/${bin}`]).status !== 0) return `${bin} is not installed (apt-get install ${pkg})`;
  }
  if (!existsSync('/bin/busybox')) return 'no static busybox (apt-get install busybox-static)';
  return undefined;
}

const sha256 = (b: Buffer | string) => 'sha256:' + createHash('sha256').update(b).digest('hex');

/** An OCI layout with one layer: /bin/busybox and a link per applet, passwd/group, /tmp. */
export async function buildBusyboxLayout(dir: string): Promise<string> {
  const applets = spawnSync('/bin/busybox', ['--list'], { encoding: 'utf8' }).stdout.split('\n').filter((a) => a && a !== 'busybox');
  const files: FileSpec[] = [
    { path: 'bin', type: 'directory' },
    { path: 'bin/busybox', data: readFileSync('/bin/busybox'), mode: 0o755 },
    ...applets.map((a): FileSpec => ({ path: `bin/${a}`, type: 'symlink', target: 'busybox' })),
    { path: 'etc', type: 'directory' },
    { path: 'etc/passwd', data: 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' },
    { path: 'etc/group', data: 'root:x:0:\nnogroup:x:65534:\n' },
    { path: 'tmp', type: 'directory', mode: 0o1777 },
    { path: 'root', type: 'directory', mode: 0o700 },
  ];
  const tar = await tarFiles(files);
  const layer = gzipSync(tar);
  const blobs = join(dir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const put = (data: Buffer | string) => {
    const digest = sha256(data);
    writeFileSync(join(blobs, digest.slice(7)), data);
    return { digest, size: Buffer.byteLength(data) };
  };
  const l = put(layer);
  const config = JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['/bin/sh'], WorkingDir: '/' },
    rootfs: { type: 'layers', diff_ids: [sha256(tar)] },
  });
  const c = put(config);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...c },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...l }],
  });
  const m = put(manifest);
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...m }] }));
  return dir;
}

export interface PodTestEnv {
  home: string;
  runtime: NativeRuntime;
  leaks: LeakTracker;
  /** A second runtime on the same home (reconcile tests); tracked by the leak checker too. */
  newRuntime(options?: Partial<NativeRuntimeOptions>): NativeRuntime;
  /** Force-deletes every pod left, then returns the leaks. */
  cleanup(): Promise<string[]>;
  dispose(): Promise<void>;
}

export async function podTestEnv(options: Partial<NativeRuntimeOptions> = {}): Promise<PodTestEnv> {
  const home = mkdtempSync(join(tmpdir(), 'podsmith-pods-'));
  const layout = await buildBusyboxLayout(join(home, 'layout'));
  const store = await openStore(home);
  await loadImage(store, layout, { name: IMAGE });
  rmSync(layout, { recursive: true, force: true });
  const leaks = new LeakTracker(home);
  const runtimes: NativeRuntime[] = [];
  const newRuntime = (more: Partial<NativeRuntimeOptions> = {}) => {
    const r = createNativeRuntime({ home, ...options, ...more });
    leaks.track(r);
    runtimes.push(r);
    return r;
  };
  const runtime = newRuntime();
  return {
    home,
    runtime,
    leaks,
    newRuntime,
    async cleanup() {
      for (const p of await runtime.listPods()) await runtime.deletePod({ pod: p.uid, force: true }).catch(() => undefined);
      return leaks.check();
    },
    async dispose() {
      for (const r of runtimes) await r.close();
      leaks.dispose();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Polls `fn` (real state) until it returns a value other than undefined/false, within `timeoutMs`. */
export async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let delay = 10;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 200);
  }
}

/** Resolves with the first event matching `match` (subscribe before causing it). */
export function nextEvent(runtime: NativeRuntime, match: (e: PodEvent) => boolean, timeoutMs = 15_000): Promise<PodEvent> {
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

export function container(status: PodStatus, name: string) {
  const c = [...status.initContainerStatuses, ...status.containerStatuses].find((x) => x.name === name);
  if (!c) throw new Error(`no container ${name} in pod ${status.name}`);
  return c;
}

/** Collects a readable stream into a string. */
export async function text(stream: NodeJS.ReadableStream | undefined): Promise<string> {
  if (!stream) return '';
  let out = '';
  for await (const chunk of stream) out += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
  return out;
}

/** A pod manifest with the given containers (YAML written as JSON: every JSON document is YAML). */
export function podManifest(name: string, spec: Record<string, unknown>, extra: Record<string, unknown>[] = []): string {
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec };
  return [pod, ...extra].map((d) => JSON.stringify(d, null, 2)).join('\n---\n') + '\n';
}
