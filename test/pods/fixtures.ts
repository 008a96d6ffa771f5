// Shared setup of the pod tests: a temporary PODSMITH_HOME, a busybox image with every applet linked in
// /bin (built by hand as an OCI layout and loaded into the store, so no registry is needed), a runtime, the
// leak checker, and helpers that wait on real state (events, bounded polling) instead of sleeping.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBusyboxLayout } from '../../engine/image/builtin';
import { loadImage } from '../../engine/image/load';
import { openStore } from '../../engine/image/store';
import { createNativeRuntime, type NativeRuntime, type NativeRuntimeOptions } from '../../engine/pods/native';
import type { PodEvent, PodStatus } from '../../engine/pods/types';
import { LeakTracker } from '../support/leaks';

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

/** An OCI layout with one layer: /bin/busybox and a link per applet, passwd/group, /tmp (the built-in image). */
export { buildBusyboxLayout };

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

/**
 * Polls `fn` (real state) until it returns a value other than undefined/false, within `timeoutMs`. For state that
 * sends this process no event (another process's files, sockets, exits); where an event exists, wait on it
 * (`nextEvent`, test/support/wait.ts).
 */
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
