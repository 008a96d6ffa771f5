// pod-microvm-containers against its floor and against a native pod, in one run, rounds alternating:
//   floor   QEMU booting the same kernel, initramfs and tools image, to a /init that loads the modules and
//           answers `ready` on the agent's serial port (`podsmith.mode=floor`): what any microVM pod pays
//   microvm a 2-container pod (busybox sleep) to Running through the engine, then deleted
//   native  the same pod as pod-containers (runc under conmon)
// plus an exec round trip (`true`) through the agent, and the host memory of one VM (QEMU and passt RSS).
// The agent comes from dist/microvm-agent.js when the build is there (npm run bench builds first).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadImage } from '../engine/image/load';
import { openStore } from '../engine/image/store';
import { chooseAccel } from '../engine/pods/microvm/accel';
import { createMicrovmRuntime, VmPodPaths, type MicrovmRuntime } from '../engine/pods/microvm';
import { ensureGuestImage, type GuestImage } from '../engine/pods/microvm/guest';
import { findQemu, hostTscKhz } from '../engine/pods/microvm/launch';
import { qemuArgs } from '../engine/pods/microvm/qemu-command';
import type { VmPodRecord } from '../engine/pods/microvm/records';
import { createNativeRuntime, type NativeRuntime } from '../engine/pods/native';
import { buildBusyboxLayout, IMAGE, whyNoNativePods } from '../test/pods/fixtures';
import { summarize, type Stats } from './stats';

const PLAN = { warmup: 1, runs: 5, execs: 10 };

function log(s: string): void {
  process.stderr.write(s + '\n');
}

const fmt = (ms: number) => (Number.isFinite(ms) ? (ms < 10 ? ms.toFixed(2) : ms.toFixed(0)) : '-');

function rssMiB(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const kb = Number(/VmRSS:\s*(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    return kb / 1024;
  } catch {
    return 0;
  }
}

/** QEMU to `ready` on the agent port: the floor. */
async function floorBoot(image: GuestImage, accel: 'kvm' | 'tcg', dir: string): Promise<number> {
  const sock = join(dir, 'floor.sock');
  rmSync(sock, { force: true });
  const args = qemuArgs({ image, accel, vcpus: 1, memoryMiB: 512, controlSocket: sock, consoleLog: join(dir, 'floor-console.log'), shares: [], name: 'podsmith-bench-floor', mode: 'floor', tscKhz: hostTscKhz() });
  const began = performance.now();
  const qemu = spawn(findQemu(), args, { stdio: 'ignore' });
  try {
    for (;;) {
      const got = await new Promise<boolean>((resolve) => {
        const s = connect(sock);
        let text = '';
        s.on('data', (b) => {
          text += String(b);
          if (text.includes('ready')) {
            s.destroy();
            resolve(true);
          }
        });
        s.on('error', () => resolve(false));
        s.on('close', () => resolve(text.includes('ready')));
      });
      if (got) return performance.now() - began;
      if (qemu.exitCode !== null) throw new Error('the floor VM exited before answering');
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    qemu.kill('SIGKILL');
    await new Promise((r) => (qemu.exitCode !== null ? r(undefined) : qemu.once('exit', r)));
  }
}

function podManifest(name: string, runtimeClassName?: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, annotations: { 'podsmith.io/network': 'none' } },
    spec: {
      ...(runtimeClassName ? { runtimeClassName } : {}),
      terminationGracePeriodSeconds: 0,
      containers: ['one', 'two'].map((c) => ({ name: c, image: IMAGE, command: ['sleep', '1000'] })),
    },
  });
}

export async function runMicrovmBench(): Promise<object> {
  const home = mkdtempSync(join(tmpdir(), 'podsmith-bench-vm-'));
  let vm: MicrovmRuntime | undefined;
  let native: NativeRuntime | undefined;
  try {
    log('microvm bench: guest image, busybox image ...');
    const image = await ensureGuestImage({ fetchKernel: true, onProgress: log });
    const accel = (await chooseAccel(image)).accel;
    const layout = await buildBusyboxLayout(join(home, 'layout'));
    await loadImage(await openStore(home), layout, { name: IMAGE });
    rmSync(layout, { recursive: true, force: true });
    vm = createMicrovmRuntime({ home });
    native = whyNoNativePods() ? undefined : createNativeRuntime({ home });
    const samples = { floor: [] as number[], microvm: [] as number[], native: [] as number[], exec: [] as number[], qemuRss: [] as number[], down: [] as number[] };
    const rounds = PLAN.warmup + PLAN.runs;
    for (let i = 0; i < rounds; i++) {
      const keep = i >= PLAN.warmup;
      const order = i % 2 === 0 ? ['floor', 'microvm', 'native'] : ['native', 'microvm', 'floor'];
      for (const row of order) {
        if (row === 'floor') {
          const ms = await floorBoot(image, accel, home);
          if (keep) samples.floor.push(ms);
        } else if (row === 'microvm') {
          const t = performance.now();
          const s = await vm.runPod({ manifest: podManifest(`vm-${i}`, 'pod-microvm-containers') });
          const up = performance.now() - t;
          const rec = JSON.parse(readFileSync(new VmPodPaths(home, s.uid).podFile, 'utf8')) as VmPodRecord;
          const execs: number[] = [];
          for (let k = 0; k < PLAN.execs; k++) {
            const e0 = performance.now();
            const x = await vm.exec({ pod: `vm-${i}`, command: ['true'], tty: false, stdin: false });
            x.stdout.resume();
            x.stderr?.resume();
            await x.exit;
            execs.push(performance.now() - e0);
          }
          const rss = rssMiB(rec.vm?.pid) + rssMiB(rec.passt?.pid);
          const d0 = performance.now();
          await vm.deletePod({ pod: `vm-${i}`, force: true });
          if (keep) {
            samples.microvm.push(up);
            samples.exec.push(...execs);
            samples.qemuRss.push(rss);
            samples.down.push(performance.now() - d0);
          }
        } else if (native) {
          const t = performance.now();
          await native.runPod({ manifest: podManifest(`native-${i}`) });
          const up = performance.now() - t;
          await native.deletePod({ pod: `native-${i}`, force: true });
          if (keep) samples.native.push(up);
        }
      }
      log(`round ${i + 1}/${rounds}${keep ? '' : ' (warm-up)'} done`);
    }
    const stats: Record<string, Stats> = Object.fromEntries(Object.entries(samples).filter(([, v]) => v.length).map(([k, v]) => [k, summarize(v)]));
    const ratio = stats.microvm && stats.floor ? stats.microvm.p50 / stats.floor.p50 : NaN;
    const lines = [
      `microVM pods (${accel.toUpperCase()}, kernel ${image.kernel.release}; medians of ${PLAN.runs} rounds):`,
      `  floor: QEMU to "ready" on the agent port   ${fmt(stats.floor?.p50 ?? NaN)} ms`,
      `  pod-microvm-containers to Running          ${fmt(stats.microvm?.p50 ?? NaN)} ms  (${ratio.toFixed(2)}x the floor; aim 1.3x)`,
      `  pod-containers (native) to Running         ${fmt(stats.native?.p50 ?? NaN)} ms`,
      `  microVM pod delete (force)                 ${fmt(stats.down?.p50 ?? NaN)} ms`,
      `  exec round trip (true) through the agent   ${fmt(stats.exec?.p50 ?? NaN)} ms (p95 ${fmt(stats.exec?.p95 ?? NaN)})`,
      `  host memory per VM (QEMU + passt RSS)      ${fmt(stats.qemuRss?.p50 ?? NaN)} MiB`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
    return { accel, kernel: image.kernel.release, plan: PLAN, stats, ratioToFloor: ratio };
  } finally {
    if (vm) {
      for (const p of await vm.listPods()) await vm.deletePod({ pod: p.uid, force: true }).catch(() => undefined);
      await vm.close();
    }
    if (native) {
      for (const p of await native.listPods()) await native.deletePod({ pod: p.uid, force: true }).catch(() => undefined);
      await native.close();
    }
    rmSync(home, { recursive: true, force: true });
  }
}
