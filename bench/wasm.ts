// pod-wasm against pod-containers on the same pod shape: three long-running containers, to Running and
// deleted again, rounds alternating between the two runtimes, medians. The wasm containers run tool.c
// (test/wasm/programs, compiled with clang for wasm32-wasi) sleeping; the native ones run busybox `sleep`
// from the image the pod tests build. Plus the cost of a module on its own: metering rewrite, V8 compile and
// instantiation in this process, and compile/instantiate as the supervisors measured them (compile once per
// distinct module; instantiate in a thread the warm spare supervisor booted ahead, engine/pods/wasm/spare.ts). Each
// pod's supervisor runs in its sandbox (engine/pods/wasm/sandbox.ts), started the way users get it (dist/ from
// `npm run build`) when the build is there, else bundled from the sources at run time; the table says which.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadImage } from '../engine/image/load';
import { openStore } from '../engine/image/store';
import { createNativeRuntime, type NativeRuntime } from '../engine/pods/native';
import { createWasmRuntime, supervisorCommand, type SupervisorCommandOf, type WasmRuntime } from '../engine/pods/wasm';
import { meterModule } from '../engine/pods/wasm/metering';
import { readModuleInfo } from '../engine/pods/wasm/module-info';
import { WASI_PREVIEW1_FUNCTIONS } from '../engine/pods/wasm/modules';
import type { SupervisorState } from '../engine/pods/wasm/records';
import { buildBusyboxLayout, IMAGE as BUSYBOX, whyNoNativePods } from '../test/pods/fixtures';
import { buildPrograms, IMAGES, loadWasmImages, wasmPod } from '../test/wasm/fixtures';
import { summarize, type Stats } from './stats';

const ROOT = resolve(__dirname, '..');
const PLAN = { warmup: 2, runs: 10, moduleRuns: 20 };

type Api = {
  compile(b: Uint8Array): Promise<unknown>;
  Instance: new (m: unknown, i: object) => unknown;
};
const WA = (globalThis as unknown as { WebAssembly: Api }).WebAssembly;

function log(s: string): void {
  process.stderr.write(s + '\n');
}

const fmt = (ms: number) => (Number.isFinite(ms) ? ms.toFixed(ms < 10 ? 2 : 1) : '-');

/** The supervisor entry users run: the built CLI (its own small bundle when there is one). */
function builtSupervisor(): SupervisorCommandOf | undefined {
  const own = join(ROOT, 'dist', 'wasm-supervisor.js');
  if (existsSync(own)) return (args) => ({ command: process.execPath, args: ['/app/wasm-supervisor.js', ...args], cwd: '/', binds: [{ source: own, path: '/app/wasm-supervisor.js' }] });
  const cli = join(ROOT, 'dist', 'podsmith.js');
  if (existsSync(cli) && readFileSync(cli, 'utf8').includes('__wasm-supervisor')) return (args) => ({ command: process.execPath, args: ['/app/dist/podsmith.js', '__wasm-supervisor', ...args], cwd: '/', binds: [{ source: join(ROOT, 'dist'), path: '/app/dist' }] });
  return undefined;
}

/** A module made distinct (a custom section with a counter) so V8's module cache does not answer twice. */
function distinct(bytes: Uint8Array, n: number): Uint8Array {
  const name = Buffer.from(`bench${n}`);
  return Buffer.concat([bytes, Buffer.from([0, name.length + 1, name.length]), name]);
}

export async function runWasmBench(): Promise<object> {
  const home = mkdtempSync(join(tmpdir(), 'podsmith-bench-wasm-'));
  const built = builtSupervisor();
  const supervisor = built ? (existsSync(join(ROOT, 'dist', 'wasm-supervisor.js')) ? 'dist/wasm-supervisor.js' : 'dist/podsmith.js __wasm-supervisor') : 'sources (bundled at run time)';
  const noNative = whyNoNativePods();
  let wasm: WasmRuntime | undefined;
  let native: NativeRuntime | undefined;
  try {
    log('wasm bench: compiling the test programs and loading the images ...');
    const programs = await buildPrograms();
    await loadWasmImages(home, programs);
    wasm = createWasmRuntime({ home, ...(built ? { supervisorCommand: built } : { supervisorCommand }) });
    if (!noNative) {
      const layout = await buildBusyboxLayout(join(home, 'busybox-layout'));
      await loadImage(await openStore(home), layout, { name: BUSYBOX });
      rmSync(layout, { recursive: true, force: true });
      native = createNativeRuntime({ home });
    }

    const wasmManifest = wasmPod('bench-wasm', {
      terminationGracePeriodSeconds: 0,
      containers: ['one', 'two', 'three'].map((name) => ({ name, image: IMAGES.tool, command: ['tool.wasm', 'serve'] })),
    });
    const nativeManifest = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'bench-native' },
      spec: { terminationGracePeriodSeconds: 0, containers: ['one', 'two', 'three'].map((name) => ({ name, image: BUSYBOX, command: ['sleep', '1000'] })) },
    });
    const samples = { wasmRun: [] as number[], wasmDelete: [] as number[], nativeRun: [] as number[], nativeDelete: [] as number[], supCompile: [] as number[], supInstantiate: [] as number[] };
    const round = async (record: boolean) => {
      let t = performance.now();
      const s = await wasm!.runPod({ manifest: wasmManifest });
      const run = performance.now() - t;
      if (s.phase !== 'Running') throw new Error(`the wasm pod is ${s.phase}, not Running`);
      const state = JSON.parse(readFileSync(join(home, 'wasm-pods', s.uid, 'sandbox', 'status.json'), 'utf8')) as SupervisorState;
      t = performance.now();
      await wasm!.deletePod({ pod: 'bench-wasm' });
      const del = performance.now() - t;
      if (record) {
        samples.wasmRun.push(run);
        samples.wasmDelete.push(del);
        for (const x of Object.values(state.timings ?? {})) {
          samples.supCompile.push(x.compileMs);
          samples.supInstantiate.push(x.instantiateMs);
        }
      }
      if (!native) return;
      t = performance.now();
      const n = await native.runPod({ manifest: nativeManifest });
      const nrun = performance.now() - t;
      if (n.phase !== 'Running') throw new Error(`the native pod is ${n.phase}, not Running`);
      t = performance.now();
      await native.deletePod({ pod: 'bench-native' });
      if (record) {
        samples.nativeRun.push(nrun);
        samples.nativeDelete.push(performance.now() - t);
      }
    };
    log(`wasm bench: ${PLAN.warmup} warm-up and ${PLAN.runs} timed rounds, alternating pod-wasm and ${native ? 'pod-containers' : '(no pod-containers: ' + noNative + ')'} ...`);
    for (let i = 0; i < PLAN.warmup; i++) await round(false);
    for (let i = 0; i < PLAN.runs; i++) await round(true);

    log('wasm bench: module costs in this process ...');
    const meter: number[] = [];
    const compile: number[] = [];
    const compileMetered: number[] = [];
    const instantiate: number[] = [];
    const stubs = { wasi_snapshot_preview1: Object.fromEntries([...WASI_PREVIEW1_FUNCTIONS].map((n) => [n, () => 0])) };
    let metered: Buffer = Buffer.alloc(0);
    for (let i = 0; i < PLAN.moduleRuns; i++) {
      let t = performance.now();
      metered = meterModule(readModuleInfo(programs.tool));
      meter.push(performance.now() - t);
      const plain = distinct(programs.tool, i);
      t = performance.now();
      await WA.compile(plain);
      compile.push(performance.now() - t);
      const m = distinct(metered, i);
      t = performance.now();
      const module = await WA.compile(m);
      compileMetered.push(performance.now() - t);
      t = performance.now();
      new WA.Instance(module, stubs);
      instantiate.push(performance.now() - t);
    }

    const stats = {
      wasmRun: summarize(samples.wasmRun),
      wasmDelete: summarize(samples.wasmDelete),
      nativeRun: native ? summarize(samples.nativeRun) : undefined,
      nativeDelete: native ? summarize(samples.nativeDelete) : undefined,
      meter: summarize(meter),
      compile: summarize(compile),
      compileMetered: summarize(compileMetered),
      instantiate: summarize(instantiate),
      supervisorCompile: summarize(samples.supCompile),
      supervisorInstantiate: summarize(samples.supInstantiate),
    };
    const row = (label: string, st: Stats | undefined) => `  ${label.padEnd(58)}${(st ? fmt(st.p50) : '-').padStart(10)}${(st ? fmt(st.min) : '-').padStart(10)}${(st ? fmt(st.max) : '-').padStart(10)}`;
    const text = [
      '',
      '(f) WebAssembly pods: a 3-container pod to Running and deleted, pod-wasm vs pod-containers',
      `  ${PLAN.runs} rounds each, alternating, after ${PLAN.warmup} warm-up; wasm supervisor from ${supervisor}; ` +
        `module tool.wasm ${programs.tool.length} bytes (${metered.length} metered)`,
      `  ${''.padEnd(58)}${'median ms'.padStart(10)}${'min ms'.padStart(10)}${'max ms'.padStart(10)}`,
      row('pod-wasm: run_pod to Running (3 modules)', stats.wasmRun),
      row('pod-containers: run_pod to Running (pause + 3 containers)', stats.nativeRun),
      row('pod-wasm: delete_pod (grace 0)', stats.wasmDelete),
      row('pod-containers: delete_pod (grace 0)', stats.nativeDelete),
      ...(native ? [`  ratio (pod-containers ÷ pod-wasm), to Running: ${(stats.nativeRun!.p50 / stats.wasmRun.p50).toFixed(2)}×`] : [`  pod-containers not measured: ${noNative}`]),
      row('module: metering rewrite (in process)', stats.meter),
      row('module: V8 compile, original (in process)', stats.compile),
      row('module: V8 compile, metered (in process)', stats.compileMetered),
      row('module: instantiate (in process)', stats.instantiate),
      row('module: compile in the supervisor, once per module', stats.supervisorCompile),
      row('module: instantiate in the supervisor, thread booted ahead', stats.supervisorInstantiate),
      '',
    ].join('\n');
    process.stdout.write(text + '\n');
    return { plan: PLAN, supervisor, moduleBytes: programs.tool.length, meteredBytes: metered.length, stats, samples, ...(noNative ? { nativeSkipped: noNative } : {}) };
  } finally {
    for (const [r, pod] of [
      [wasm, 'bench-wasm'],
      [native, 'bench-native'],
    ] as const)
      await r?.deletePod({ pod, force: true }).catch(() => undefined);
    await wasm?.close();
    await native?.close();
    rmSync(home, { recursive: true, force: true });
  }
}

if (require.main === module) {
  runWasmBench().catch((err) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exitCode = 1;
  });
}
