// Shared setup of the microVM tests: whether they can run here, a home with the busybox test image, and a
// runtime tracked by the leak checker. The VMs run under TCG (these machines have no usable KVM), so each
// boot takes seconds: tests keep their VM count small and wait on real state with generous deadlines.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBusyboxLayout } from '../../engine/image/builtin';
import { loadImage } from '../../engine/image/load';
import { openStore } from '../../engine/image/store';
import { createMicrovmRuntime, type MicrovmRuntime, type MicrovmRuntimeOptions } from '../../engine/pods/microvm';
import { LeakTracker } from '../support/leaks';

export const IMAGE = 'podsmith.test/busybox-full:1';

export function whyNoMicrovm(): string | undefined {
  if (process.platform !== 'linux' || process.arch !== 'x64') return 'microVM pods need Linux on x86-64';
  if (process.getuid?.() !== 0) return 'microVM pods need root here';
  for (const [bin, pkg] of [['qemu-system-x86_64', 'qemu-system-x86'], ['mksquashfs', 'squashfs-tools'], ['runc', 'runc'], ['passt', 'passt'], ['apt-get', 'apt'], ['dpkg-deb', 'dpkg']]) {
    if (spawnSync('sh', ['-c', `command -v ${bin} || test -x /usr/sbin/${bin}`]).status !== 0) return `${bin} is not installed (apt-get install ${pkg})`;
  }
  if (!existsSync('/bin/busybox')) return 'no static busybox (apt-get install busybox-static)';
  return undefined;
}

export interface VmTestEnv {
  home: string;
  runtime: MicrovmRuntime;
  leaks: LeakTracker;
  newRuntime(more?: Partial<MicrovmRuntimeOptions>): MicrovmRuntime;
  cleanup(): Promise<string[]>;
  dispose(): Promise<void>;
}

export async function vmTestEnv(options: Partial<MicrovmRuntimeOptions> = {}): Promise<VmTestEnv> {
  const home = mkdtempSync(join(tmpdir(), 'podsmith-vm-'));
  const layout = await buildBusyboxLayout(join(home, 'layout'));
  await loadImage(await openStore(home), layout, { name: IMAGE });
  rmSync(layout, { recursive: true, force: true });
  const leaks = new LeakTracker(home);
  const runtimes: MicrovmRuntime[] = [];
  const newRuntime = (more: Partial<MicrovmRuntimeOptions> = {}) => {
    const r = createMicrovmRuntime({ home, ...options, ...more });
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
      const r = runtimes[runtimes.length - 1];
      for (const p of await r.listPods()) await r.deletePod({ pod: p.uid, force: true }).catch(() => undefined);
      return leaks.check();
    },
    async dispose() {
      for (const r of runtimes) await r.close();
      leaks.dispose();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Polls `fn` until it returns a value (not undefined), or fails after `timeoutMs`. */
export async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let delay = 20;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 500);
  }
}
