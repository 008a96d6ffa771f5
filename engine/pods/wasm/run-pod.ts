// run_pod for pod-wasm: admission, a sandbox (the warm spare, or one started now while the rest goes on),
// images, volumes, then every module is checked, metered and compiled here (nothing of the module runs in this
// process), the plans are written to pod.json, the pod is given to the sandbox (sandbox.ts attach) and its
// supervisor told to go. It instantiates every module before starting any, runs the init containers, starts
// the app containers and reports in status.json; this resolves once the app containers run. Atomic: any
// failure (a module that does not compile or link, a memory declaration over the limit, an init container
// that fails) removes the sandbox, the directory and the name, and rejects with a PodError naming the
// container. pod.json says `creating` until then, and names the sandbox from the start, so a daemon killed
// midway leaves a pod reconcile removes.
import { randomUUID } from 'node:crypto';
import { mkdir, open, rm } from 'node:fs/promises';
import { buildWasmInvocation, type EnvSources } from '../../image/bundle';
import { parseQuantity } from '../../limits';
import { ensureImages } from '../native/images';
import { runFailedReason } from '../native/occurrences';
import { hostnameOf, podFacts } from '../native/pod-facts';
import { forContainer, toPodError } from '../native/pod-errors';
import type { PodContainer } from '../native/pod-spec';
import { containerMounts, prepareVolumes } from '../native/volumes';
import { PodError, type PodEvent, type PodStatus, type RunPodRequest } from '../types';
import { admitWasmPod, DEFAULT_FUEL, fuelOf } from './admit';
import { supervisorAlive, type WasmContext } from './context';
import { FALLBACK_INSTRUCTIONS_PER_SECOND } from './cpu-time';
import { resolveWasmImage } from './images';
import { MAX_MEMORY_PAGES, PAGE_BYTES, prepareModule } from './modules';
import { claimPodName } from './names';
import { WasmPodPaths, wasmPodsDir } from './paths';
import { readSupervisorState, writeWasmPod, type ContainerPlan, type SupervisorState, type WasmPodRecord } from './records';
import type { Sandbox } from './sandbox';
import { toWasmPodStatus } from './status';
import { teardownWasmPod } from './teardown';
import { trace } from './trace';

/** How long the supervisor may take to compile and instantiate every module (init containers excluded). */
const STARTUP_TIMEOUT_MS = 60_000;

function memoryLimit(c: PodContainer): { memoryLimitPages: number; memoryLimitBytes?: number } {
  const raw = c.resources?.limits?.memory;
  const q = raw === undefined ? undefined : parseQuantity(raw);
  if (!q) return { memoryLimitPages: MAX_MEMORY_PAGES };
  const bytes = Number(q.num / q.den);
  return { memoryLimitPages: Math.min(MAX_MEMORY_PAGES, Math.floor(bytes / PAGE_BYTES)), memoryLimitBytes: bytes };
}

/** The end of supervisor.log (the sandbox writes it without limit: only its last 64 KiB are read). */
async function supervisorLogTail(paths: WasmPodPaths): Promise<string> {
  let text = '';
  try {
    const fh = await open(paths.supervisorLog, 'r');
    try {
      const size = (await fh.stat()).size;
      const buf = Buffer.alloc(Math.min(size, 65536));
      await fh.read(buf, 0, buf.length, size - buf.length);
      text = buf.toString('utf8');
    } finally {
      await fh.close();
    }
  } catch {
    // No log: nothing to add.
  }
  const lines = text.trim().split('\n').filter((l) => l && !/ExperimentalWarning|--trace-warnings|^\[wasm-trace /.test(l));
  return lines.slice(-5).join(' | ');
}

/** Waits until the supervisor reports the app containers running, or why it cannot. */
async function waitForStartup(ctx: WasmContext, pod: WasmPodRecord, paths: WasmPodPaths): Promise<SupervisorState> {
  const began = Date.now();
  // Watching from before the first read: no change can fall between a read and the wait after it.
  const changes = ctx.changes(pod.uid);
  try {
    for (;;) {
      const state = await readSupervisorState(ctx.home, pod);
      ctx.announce(pod, state);
      if (state?.failure) throw new PodError(state.failure.message, state.failure.code, state.failure.container ? { container: state.failure.container } : undefined);
      if (state?.phase === 'running') return state;
      if (state && state.phase !== 'starting' && state.phase !== 'initializing')
        throw new PodError(`pod ${pod.name}: the supervisor ended before the containers ran (${state.phase})`, 'START_FAILED');
      if (!supervisorAlive(pod)) {
        // It may have written its last word just before leaving.
        const last = await readSupervisorState(ctx.home, pod);
        if (last?.failure || last?.phase === 'running') continue;
        const tail = await supervisorLogTail(paths);
        throw new PodError(`pod ${pod.name}: the supervisor exited before the containers ran${tail ? `: ${tail}` : ''}`, 'START_FAILED');
      }
      if ((!state || state.phase === 'starting') && Date.now() - began > STARTUP_TIMEOUT_MS)
        throw new PodError(`pod ${pod.name}: the modules were not instantiated within ${STARTUP_TIMEOUT_MS / 1000} s`, 'START_FAILED');
      await changes.next(100);
    }
  } finally {
    changes.close();
  }
}

export async function runWasmPod(ctx: WasmContext, req: RunPodRequest, onEvent?: (e: PodEvent) => void): Promise<PodStatus> {
  trace('run_pod');
  const admitted = admitWasmPod(req);
  const { pod, namespace } = admitted;
  const name = pod.metadata.name;
  const uid = randomUUID();
  const paths = new WasmPodPaths(ctx.home, uid);
  await mkdir(wasmPodsDir(ctx.home), { recursive: true, mode: 0o700 });
  // The directory exists before the name points at it, so a name link always leads somewhere real.
  await mkdir(paths.dir, { mode: 0o700 });
  const holder = await claimPodName(ctx.home, namespace, name, uid).catch(async (err) => {
    await rm(paths.dir, { recursive: true, force: true });
    throw err;
  });
  if (holder) {
    await rm(paths.dir, { recursive: true, force: true });
    throw new PodError(`pod ${namespace}/${name} already exists (uid ${holder}): delete it first`, 'ALREADY_EXISTS');
  }

  const forward = onEvent
    ? (e: PodEvent) => {
        if ((e.type === 'pull' && e.pod === name) || (e.type !== 'pull' && e.uid === uid)) onEvent(e);
      }
    : undefined;
  if (forward) ctx.listeners.add(forward);
  let record: WasmPodRecord | undefined;
  let sandbox: Sandbox | undefined;
  try {
    const fuel = fuelOf(pod, ctx.options.fuel ?? DEFAULT_FUEL);
    const specs = [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
    record = {
      version: 1,
      uid,
      name,
      namespace,
      createdAt: new Date().toISOString(),
      lifecycle: 'creating',
      hostname: hostnameOf(pod, uid),
      ...(req.fileName ? { fileName: req.fileName } : {}),
      pod,
      plans: [],
      ...(ctx.options.logRotation ? { logRotation: ctx.options.logRotation } : {}),
      warnings: admitted.warnings.map((f) => `${req.fileName ?? 'manifest'}:${f.range.start.line + 1}: ${f.message} [${f.rule}]`),
    };
    // Started (or taken) first: a sandbox started now boots while the pod is prepared.
    sandbox = ctx.sandboxes.take();
    record.sandbox = sandbox.record;
    const rec = record;
    await ctx.save(rec);

    trace('saved');
    const images = await ensureImages(ctx.native, specs, { name });
    const store = await ctx.native.store();
    const facts = podFacts(pod, uid);
    trace('images');
    const volumes = await prepareVolumes(pod, paths, admitted, facts);
    const sources: EnvSources = {
      configMaps: Object.fromEntries(Object.entries(admitted.configMaps).map(([k, v]) => [k, v.text])),
      secrets: Object.fromEntries(Object.entries(admitted.secrets).map(([k, v]) => [k, v.text])),
    };
    trace('volumes');
    await mkdir(paths.modules, { mode: 0o755 });
    const initNames = new Set((pod.spec.initContainers ?? []).map((c) => c.name));
    const results = await Promise.allSettled(
      specs.map((spec) =>
        forContainer(spec.name, async (): Promise<ContainerPlan> => {
          const imageID = images.get(spec.image!)!;
          const image = await resolveWasmImage(store, spec, imageID, paths.rootfsDir(spec.name));
          const mounts = await containerMounts(spec, volumes);
          const inv = buildWasmInvocation({
            artifact: image.artifact,
            image: image.config,
            container: spec,
            pod: facts,
            sources,
            ...(image.rootfs ? { rootfsPath: image.rootfs.path } : {}),
            mounts,
          });
          // Admission refused two mounts at one path; the image's root, preopened at /, is the one left.
          if (inv.preopens.filter((p) => p.guestPath === '/').length > 1)
            throw new PodError(`container "${spec.name}": a volumeMount at / would hide the image's root filesystem, which is preopened there`, 'INVALID', { container: spec.name });
          const limits = memoryLimit(spec);
          const module = await prepareModule(ctx.home, spec.name, image.bytes, limits, paths.module(spec.name));
          rec.warnings.push(...inv.warnings);
          if (!module.metered)
            rec.warnings.push(`container "${spec.name}": the module cannot be metered (${module.note}); its CPU time is bounded instead (${fuel / FALLBACK_INSTRUCTIONS_PER_SECOND} s)`);
          return {
            name: spec.name,
            kind: initNames.has(spec.name) ? (spec.restartPolicy === 'Always' ? 'sidecar' : 'init') : 'app',
            image: spec.image!,
            imageID,
            module: module.path,
            moduleDigest: module.digest,
            argv: inv.argv,
            env: inv.env,
            preopens: inv.preopens,
            ...limits,
            fuel,
            metering: module.metered ? 'fuel' : 'cpu-time',
            ...(module.metered ? {} : { cpuSeconds: fuel / FALLBACK_INSTRUCTIONS_PER_SECOND, meteringNote: module.note }),
            ...(image.rootfs ? { rootfsDir: image.rootfs.dir } : {}),
          };
        }),
      ),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    trace('plans');
    rec.plans = results.map((r) => (r as PromiseFulfilledResult<ContainerPlan>).value);
    rec.supervisor = await sandbox.ready.catch((err: Error) => {
      throw new PodError(`pod ${name}: ${err.message}`, 'START_FAILED');
    });
    await sandbox.attach(paths, rec);
    // The plans and the supervisor's pid, before the supervisor reads them.
    await writeWasmPod(ctx.home, rec);
    sandbox.go();
    trace('assigned');
    const state = await waitForStartup(ctx, rec, paths);
    trace('running');
    rec.lifecycle = 'running';
    await ctx.save(rec, state);
    ctx.watchPod(uid);
    trace('done');
    return toWasmPodStatus(rec, state);
  } catch (err) {
    const error = toPodError(err);
    try {
      await sandbox?.discard();
      await teardownWasmPod(ctx, uid, record);
    } catch (cleanup) {
      error.message += ` (cleanup after the failure also failed: ${(cleanup as Error).message})`;
    }
    ctx.emit({ type: 'pod', time: new Date().toISOString(), pod: name, uid, phase: 'Failed', reason: runFailedReason(error), code: error.code, message: error.message });
    throw error;
  } finally {
    if (forward) ctx.listeners.delete(forward);
    ctx.sandboxes.warm();
  }
}
