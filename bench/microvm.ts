// pod-microvm-containers against its floors and against a native pod, in one run, rounds alternating:
//   floor        QEMU booting the same kernel, initramfs and tools image, to a /init that loads the modules
//                and answers `ready` on the agent's serial port (`podsmith.mode=floor`): what a booted VM pays
//   boot         a 2-container pod (busybox sleep) to Running through the engine, its VM booted (templates off)
//   clone floor  a clone of the VM template to its agent's first answer and thaw (reseed, clock): what a
//                cloned VM pays
//   clone        the same pod to Running in a VM cloned from the template (template.ts)
//   native       the same pod as pod-containers (runc under conmon)
// plus the template's build (boot and save, once), an exec round trip (`true`) through the agent, and the host
// memory of one VM (QEMU and passt): RSS, and what is its own (dirty private pages; a clone's template pages
// it only read stay shared in the page cache). The agent comes from dist/microvm-agent.js when the build is there
// (npm run bench builds first).
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadImage } from '../engine/image/load';
import { openStore } from '../engine/image/store';
import { chooseAccel } from '../engine/pods/microvm/accel';
import { createMicrovmRuntime, VmPodPaths, type MicrovmRuntime } from '../engine/pods/microvm';
import { AgentClient } from '../engine/pods/microvm/agent-client';
import { ensureGuestImage, type GuestImage } from '../engine/pods/microvm/guest';
import { findQemu, hostTscKhz } from '../engine/pods/microvm/launch';
import { qemuArgs } from '../engine/pods/microvm/qemu-command';
import { cloneSeed, ensureTemplate, restoreClone, templateShares, type VmTemplate } from '../engine/pods/microvm/template';
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

/**
 * Memory a process has for itself alone: its dirty private pages (heap, guest RAM it wrote, copy-on-write
 * copies of template pages). Clean pages of a file (a template's RAM it only read) stay in the page cache,
 * shared with every other clone, and are left out (smaps counts them as private whenever one clone runs).
 */
function privateMiB(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const t = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s*(\\d+)`, 'm').exec(t)?.[1] ?? 0);
    return kb('Private_Dirty') / 1024;
  } catch {
    return 0;
  }
}

/** A clone of the template to its agent's first answer, thawed: the floor of a cloned VM. */
async function cloneFloor(image: GuestImage, template: VmTemplate, dir: string): Promise<number> {
  const work = mkdtempSync(join(dir, 'clone-'));
  const ctl = join(work, 'ctl.sock');
  const qmp = join(work, 'qmp.sock');
  mkdirSync(join(work, 'share'));
  const args = qemuArgs({ image, accel: template.shape.accel, vcpus: template.shape.vcpus, memoryMiB: template.shape.memoryMiB, controlSocket: ctl, consoleLog: join(work, 'console.log'), shares: templateShares(join(work, 'share'), join(work, 'share')), name: 'podsmith-bench-clone', mode: 'template', ramFile: { path: template.ramFile, share: false }, incoming: true, qmpSocket: qmp });
  const began = performance.now();
  const fd = openSync(template.stateFile, 'r');
  const qemu = spawn(findQemu(), args, { stdio: ['ignore', 'ignore', 'ignore', fd] });
  closeSync(fd);
  const alive = () => qemu.exitCode === null && qemu.signalCode === null;
  try {
    await restoreClone(qmp, alive);
    const agent = await AgentClient.connect(ctl, { timeoutMs: 60_000, alive });
    await agent.request('guest.thaw', { epochMs: Date.now(), seed: cloneSeed() }, 60_000);
    agent.close();
    return performance.now() - began;
  } finally {
    qemu.kill('SIGKILL');
    await new Promise((r) => (qemu.exitCode !== null || qemu.signalCode !== null ? r(undefined) : qemu.once('exit', r)));
    rmSync(work, { recursive: true, force: true });
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
      if (qemu.exitCode !== null || qemu.signalCode !== null) throw new Error('the floor VM exited before answering');
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    qemu.kill('SIGKILL');
    await new Promise((r) => (qemu.exitCode !== null || qemu.signalCode !== null ? r(undefined) : qemu.once('exit', r)));
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
  const templatesDir = join(home, 'templates');
  const runtimes: MicrovmRuntime[] = [];
  let native: NativeRuntime | undefined;
  try {
    log('microvm bench: guest image, busybox image ...');
    const image = await ensureGuestImage({ fetchKernel: true, onProgress: log });
    const accel = (await chooseAccel(image)).accel;
    const layout = await buildBusyboxLayout(join(home, 'layout'));
    await loadImage(await openStore(home), layout, { name: IMAGE });
    rmSync(layout, { recursive: true, force: true });
    const booted = createMicrovmRuntime({ home, templates: false });
    const cloned = createMicrovmRuntime({ home, templates: true, templatesDir });
    runtimes.push(booted, cloned);
    native = whyNoNativePods() ? undefined : createNativeRuntime({ home });
    log('microvm bench: building the template (one boot, then saved) ...');
    const b0 = performance.now();
    const template = await ensureTemplate({ image, shape: { accel, vcpus: 1, memoryMiB: 512, nic: false }, dir: templatesDir });
    const templateBuildMs = performance.now() - b0;
    const samples = {
      floor: [] as number[],
      microvm: [] as number[],
      cloneFloor: [] as number[],
      clone: [] as number[],
      native: [] as number[],
      exec: [] as number[],
      cloneExec: [] as number[],
      qemuRss: [] as number[],
      qemuPrivate: [] as number[],
      cloneRss: [] as number[],
      clonePrivate: [] as number[],
      down: [] as number[],
    };
    const vmPod = async (rt: MicrovmRuntime, name: string, keep: boolean, into: { up: number[]; exec: number[]; rss: number[]; priv: number[] }) => {
      const t = performance.now();
      const s = await rt.runPod({ manifest: podManifest(name, 'pod-microvm-containers') });
      const up = performance.now() - t;
      const rec = JSON.parse(readFileSync(new VmPodPaths(home, s.uid).podFile, 'utf8')) as VmPodRecord;
      const execs: number[] = [];
      for (let k = 0; k < PLAN.execs; k++) {
        const e0 = performance.now();
        const x = await rt.exec({ pod: name, command: ['true'], tty: false, stdin: false });
        x.stdout.resume();
        x.stderr?.resume();
        await x.exit;
        execs.push(performance.now() - e0);
      }
      const rss = rssMiB(rec.vm?.pid) + rssMiB(rec.passt?.pid);
      const priv = privateMiB(rec.vm?.pid) + privateMiB(rec.passt?.pid);
      const d0 = performance.now();
      await rt.deletePod({ pod: name, force: true });
      if (keep) {
        into.up.push(up);
        into.exec.push(...execs);
        into.rss.push(rss);
        into.priv.push(priv);
        samples.down.push(performance.now() - d0);
      }
    };
    const rounds = PLAN.warmup + PLAN.runs;
    for (let i = 0; i < rounds; i++) {
      const keep = i >= PLAN.warmup;
      const order = ['floor', 'microvm', 'cloneFloor', 'clone', 'native'];
      if (i % 2 === 1) order.reverse();
      for (const row of order) {
        if (row === 'floor') {
          const ms = await floorBoot(image, accel, home);
          if (keep) samples.floor.push(ms);
        } else if (row === 'cloneFloor') {
          const ms = await cloneFloor(image, template, home);
          if (keep) samples.cloneFloor.push(ms);
        } else if (row === 'microvm') {
          await vmPod(booted, `vm-${i}`, keep, { up: samples.microvm, exec: samples.exec, rss: samples.qemuRss, priv: samples.qemuPrivate });
        } else if (row === 'clone') {
          await vmPod(cloned, `clone-${i}`, keep, { up: samples.clone, exec: samples.cloneExec, rss: samples.cloneRss, priv: samples.clonePrivate });
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
    const cloneRatio = stats.clone && stats.floor ? stats.clone.p50 / stats.floor.p50 : NaN;
    const lines = [
      `microVM pods (${accel.toUpperCase()}, kernel ${image.kernel.release}; medians of ${PLAN.runs} rounds):`,
      `  floor: QEMU to "ready" on the agent port         ${fmt(stats.floor?.p50 ?? NaN)} ms`,
      `  pod-microvm-containers to Running, booted VM     ${fmt(stats.microvm?.p50 ?? NaN)} ms  (${ratio.toFixed(2)}x the floor; aim 1.3x)`,
      `  template built once (boot and save)              ${fmt(templateBuildMs)} ms`,
      `  clone floor: clone to its agent's answer, thawed ${fmt(stats.cloneFloor?.p50 ?? NaN)} ms`,
      `  pod-microvm-containers to Running, cloned VM     ${fmt(stats.clone?.p50 ?? NaN)} ms  (${cloneRatio.toFixed(2)}x the boot floor; aim 500 ms)`,
      `  pod-containers (native) to Running               ${fmt(stats.native?.p50 ?? NaN)} ms`,
      `  microVM pod delete (force)                       ${fmt(stats.down?.p50 ?? NaN)} ms`,
      `  exec round trip (true), booted VM                ${fmt(stats.exec?.p50 ?? NaN)} ms (p95 ${fmt(stats.exec?.p95 ?? NaN)})`,
      `  exec round trip (true), cloned VM                ${fmt(stats.cloneExec?.p50 ?? NaN)} ms (p95 ${fmt(stats.cloneExec?.p95 ?? NaN)})`,
      `  host memory per booted VM (QEMU + passt)         RSS ${fmt(stats.qemuRss?.p50 ?? NaN)} MiB, its own ${fmt(stats.qemuPrivate?.p50 ?? NaN)} MiB`,
      `  host memory per cloned VM (QEMU + passt)         RSS ${fmt(stats.cloneRss?.p50 ?? NaN)} MiB, its own ${fmt(stats.clonePrivate?.p50 ?? NaN)} MiB`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
    return { accel, kernel: image.kernel.release, plan: PLAN, templateBuildMs, stats, ratioToFloor: ratio, cloneRatioToFloor: cloneRatio };
  } finally {
    for (const vm of runtimes) {
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
