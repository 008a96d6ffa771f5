// run_pod: admission, images, volumes, the pause container, init containers one by one, native sidecars,
// then the app containers in parallel, each under its own conmon. It resolves once every container is
// running (postStart hooks done; startup and readiness probes are not awaited, status shows them). It is
// atomic: any failure tears down everything made so far and rejects with a PodError naming the container.
// The record is saved with lifecycle `creating` first, so a daemon killed midway leaves a pod that reconcile
// removes rather than a half-made one. A forced delete meanwhile cancels the run: it stops at the next step
// (a pull or the wait for an init container at once), rolls back and rejects with CANCELLED.
import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { buildBundleConfig, writeBundle, type EnvSources, type PodFacts } from '../../image/bundle';
import { namespaceAddresses } from '../../network';
import { applyPodLimits, containerCgroupPath, createUnderConmon, ensurePauseRootfs, pauseBundleInput, selectOciRuntime, waitForExitFile } from '../../runtime';
import { PodError, type PodEvent, type PodStatus, type RunPodRequest } from '../types';
import { admitPod } from './admit';
import { collectExit } from './collect-exit';
import type { RuntimeContext } from './context';
import { etcMounts, writeEtcFiles } from './etc-files';
import { failpoint } from './failpoint';
import { collectEvidence, failedAs } from './failure-evidence';
import { ensureImages } from './images';
import { launchInstance, prepareContainer } from './launch';
import { hostnameOf, podFacts, volumesNeedPodIP } from './pod-facts';
import { runFailedReason } from './occurrences';
import { forContainer, toPodError } from './pod-errors';
import { PodPaths, pauseId, podsDir } from './paths';
import { podLimits } from './pod-limits';
import { startPauseDirectly, wantsDirectPause } from './pause-process';
import { connectPodNetwork } from './pod-network';
import type { PodContainer } from './pod-spec';
import { claimName, type ContainerKind, type ContainerRecord, type DirectPauseRecord, type PodRecord } from './state';
import { toPodStatus } from './status';
import type { Supervisor } from './supervisor';
import { teardownPod } from './teardown';
import { nativeContainerMounts } from './subpath-mounts';
import { prepareVolumes } from './volumes';
import { unenforcedLimitsWarning } from '../../rootless/limits-notice';

export const DEFAULT_POD_PIDS_LIMIT = 4096;
export { podLimits } from './pod-limits';

function newContainer(spec: PodContainer, kind: ContainerKind): ContainerRecord {
  return {
    name: spec.name,
    kind,
    image: spec.image ?? '',
    restartCount: 0,
    state: { waiting: { reason: kind === 'app' ? 'ContainerCreating' : 'PodInitializing' } },
    lastState: {},
    ready: false,
    started: false,
    stopSignal: 'SIGTERM',
  };
}

export async function runPod(ctx: RuntimeContext, supervisor: Supervisor, req: RunPodRequest, onEvent?: (e: PodEvent) => void): Promise<PodStatus> {
  const admitted = admitPod(req);
  const uid = randomUUID();
  // Known from here on, so a forced delete can cancel this run (delete-pod.ts) and wait for its rollback.
  const cancel = new AbortController();
  let settle!: () => void;
  ctx.creations.set(uid, { cancel, settled: new Promise<void>((r) => (settle = r)) });
  try {
    return await createPod(ctx, supervisor, req, admitted, uid, cancel.signal, onEvent);
  } finally {
    ctx.creations.delete(uid);
    settle();
  }
}

async function createPod(
  ctx: RuntimeContext,
  supervisor: Supervisor,
  req: RunPodRequest,
  admitted: ReturnType<typeof admitPod>,
  uid: string,
  cancelled: AbortSignal,
  onEvent?: (e: PodEvent) => void,
): Promise<PodStatus> {
  const { pod, namespace } = admitted;
  const name = pod.metadata.name;
  // Between steps: a forced delete arrived, so stop here and roll back.
  const checkCancelled = () => {
    if (cancelled.aborted) throw cancelled.reason;
  };
  const paths = new PodPaths(ctx.home, uid);
  await mkdir(podsDir(ctx.home), { recursive: true, mode: 0o700 });
  // The directory exists before the name points at it, so a name link always leads somewhere real.
  await mkdir(paths.dir, { mode: 0o700 });
  const holder = await claimName(ctx.home, namespace, name, uid).catch(async (err) => {
    await rm(paths.dir, { recursive: true, force: true });
    throw toPodError(err);
  });
  if (holder) {
    await rm(paths.dir, { recursive: true, force: true });
    throw new PodError(`pod ${namespace}/${name} already exists (uid ${holder}): delete it first`, 'ALREADY_EXISTS');
  }
  failpoint('run_pod:claimed');

  const forward = onEvent
    ? (e: PodEvent) => {
        if ((e.type === 'pull' && e.pod === name) || (e.type !== 'pull' && e.uid === uid)) onEvent(e);
      }
    : undefined;
  if (forward) ctx.listeners.add(forward);
  let record: PodRecord | undefined;
  let pauseStarted: Promise<void> | undefined;
  let directPause: Promise<DirectPauseRecord | undefined> | undefined;
  try {
    checkCancelled();
    const runtime = await selectOciRuntime(ctx.home, req.ociRuntime ?? ctx.options.ociRuntime);
    const now = new Date().toISOString();
    record = {
      version: 1,
      uid,
      name,
      namespace,
      createdAt: now,
      startTime: now,
      lifecycle: 'creating',
      ociRuntime: runtime.info,
      hostname: hostnameOf(pod, uid),
      ...(req.fileName ? { fileName: req.fileName } : {}),
      pod,
      containers: [
        ...(pod.spec.initContainers ?? []).map((c) => newContainer(c, c.restartPolicy === 'Always' ? 'sidecar' : 'init')),
        ...pod.spec.containers.map((c) => newContainer(c, 'app')),
      ],
      conditions: [],
      warnings: admitted.warnings.map((f) => `${req.fileName ?? 'manifest'}:${f.range.start.line + 1}: ${f.message} [${f.rule}]`),
    };
    const rec = record;
    // Rootless without a delegated cgroup: the pod runs, and says which of its limits do not hold.
    const unenforced = unenforcedLimitsWarning(pod, ctx.options.podPidsLimit ?? DEFAULT_POD_PIDS_LIMIT);
    if (unenforced) rec.warnings.push(unenforced);
    await Promise.all([mkdir(paths.exits, { mode: 0o700 }), mkdir(paths.sockets, { mode: 0o700 })]);
    await ctx.save(rec);
    failpoint('run_pod:recorded');

    const facts = podFacts(pod, uid);
    const pidsLimit = ctx.options.podPidsLimit ?? DEFAULT_POD_PIDS_LIMIT;
    // The pod cgroup's limits hold before anything of the pod runs (a limit set below what is already used
    // would fail, and nothing may run unbounded meanwhile).
    const limits = () => applyPodLimits(uid, podLimits(pod, pidsLimit));
    // A direct pause needs nothing the images, volumes and /etc files give: it starts while they are made.
    directPause = wantsDirectPause(ctx)
      ? forContainer('POD', async () => {
          const started = await startPauseDirectly(ctx, { uid, id: pauseId(uid), rootfs: await ensurePauseRootfs(ctx.home), pod: facts, beforeStart: limits, warnings: rec.warnings });
          if (started) {
            rec.pause = started;
            failpoint('run_pod:pause-started');
          }
          return started;
        })
      : undefined;
    directPause?.catch(() => undefined); // awaited below; a failure meanwhile must not go unhandled

    const specs = [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
    const images = await ensureImages(ctx, specs, { name }, undefined, cancelled);
    checkCancelled();
    for (const c of rec.containers) c.imageID = images.get(c.image);

    if (pod.spec.hostNetwork && facts.podIP) {
      record.podIP = facts.podIP;
      record.podIPs = facts.podIPs;
    }
    // A downwardAPI file naming status.podIP needs the pod's address, known once the network is attached:
    // such volumes are written then; all others now (a missing ConfigMap fails before anything runs).
    const volumesNow = volumesNeedPodIP(pod) ? undefined : await prepareVolumes(pod, paths, admitted, facts);
    await writeEtcFiles(paths, pod.spec, rec.hostname);
    const sources: EnvSources = {
      configMaps: Object.fromEntries(Object.entries(admitted.configMaps).map(([k, v]) => [k, v.text])),
      secrets: Object.fromEntries(Object.entries(admitted.secrets).map(([k, v]) => [k, v.text])),
    };

    // The pause container and every container's rootfs and config are independent: make them together.
    // Containers join the pause's namespaces, which exist once it is created: its start goes on beside the
    // first launches (awaited before run_pod returns).
    const startPause = async (): Promise<PodFacts> => {
      const id = pauseId(uid);
      const direct = await directPause;
      const pausePid = direct?.pid ?? (await createPauseContainer(id, await ensurePauseRootfs(ctx.home)));
      // The namespace exists now: the network is ready before any container starts.
      const net = await connectPodNetwork(ctx, uid, pod, pausePid);
      rec.warnings.push(...net.warnings);
      if (net.outbound) {
        // The addresses pasta copied into the pod (the host's own), read from inside its namespace.
        const ips = await namespaceAddresses(pausePid);
        if (ips.length === 0 && facts.hostIP) ips.push(facts.hostIP);
        if (ips.length) {
          rec.podIP = ips[0];
          rec.podIPs = ips;
        }
      }
      if (!direct) {
        // The pod cgroup exists once the pause container is created: its limits, then its start.
        await limits();
        pauseStarted = forContainer('POD', async () => {
          await runtime.start(id, ctx.containerStartMs());
          failpoint('run_pod:pause-started');
        });
        pauseStarted.catch(() => undefined); // awaited below; a failure meanwhile must not go unhandled
      }
      // fieldRefs (env, downwardAPI) read status.podIP from these facts.
      return rec.podIP ? { ...facts, podIP: rec.podIP, podIPs: rec.podIPs ?? [rec.podIP] } : facts;
    };
    // The pause as a container under conmon (hosts where the direct pause cannot run): created, not started.
    const createPauseContainer = async (id: string, rootfs: string): Promise<number> => {
      const { config } = buildBundleConfig(pauseBundleInput({ pod: facts, rootfs, cgroupsPath: containerCgroupPath(uid, id) }));
      await writeBundle(paths.pause, config);
      await mkdir(join(paths.pause, 'p'), { mode: 0o700 });
      const created = await createUnderConmon({
        conmon: ctx.conmon(),
        runtime,
        timeoutMs: ctx.containerStartMs(),
        id,
        socketId: id.slice(0, 12) + 'p',
        name: `${name}/POD`,
        bundle: paths.pause,
        exitDir: paths.exits,
        persistDir: join(paths.pause, 'p'),
        socketDir: paths.sockets,
        pidFile: join(paths.pause, 'pid'),
        conmonPidFile: join(paths.pause, 'conmon.pid'),
        logArgs: ['-l', `k8s-file:${join(paths.pause, 'pause.log')}`],
      });
      rec.pause = { id, socketId: id.slice(0, 12) + 'p', pid: created.pid, ...(created.startTime ? { startTime: created.startTime } : {}), conmonPid: created.conmonPid, ...(created.conmonStartTime ? { conmonStartTime: created.conmonStartTime } : {}) };
      return created.pid;
    };
    // Awaited (through allSettled or the containers' preparation) below; a failure meanwhile must not go unhandled.
    const pauseReady = forContainer('POD', startPause);
    pauseReady.catch(() => undefined);
    const volumesReady = volumesNow ? Promise.resolve(volumesNow) : pauseReady.then((f) => prepareVolumes(pod, paths, admitted, f));
    volumesReady.catch(() => undefined);
    const prepared = await Promise.allSettled([
      pauseReady,
      volumesReady,
      ...specs.map((spec) =>
        forContainer(spec.name, async () => {
          // The rootfs is made meanwhile; the config waits for the pod's address (env fieldRefs) and volumes.
          const mounts = volumesReady.then((volumes) => [...nativeContainerMounts(spec, volumes, paths), ...etcMounts(paths, spec)]);
          mounts.catch(() => undefined);
          const r = await prepareContainer(ctx, rec, { container: spec, imageDigest: images.get(spec.image!)!, facts: pauseReady, sources, mounts });
          const c = rec.containers.find((x) => x.name === spec.name)!;
          c.stopSignal = r.stopSignal;
          rec.warnings.push(...r.warnings);
        }),
      ),
    ]);
    const failed = prepared.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    checkCancelled();

    const launch = async (c: ContainerRecord) => {
      checkCancelled();
      await forContainer(c.name, async () => {
        await launchInstance(ctx, rec, c, { freshRootfs: false, facts }).catch(failedAs(c.name, 'StartError'));
        if (c.kind === 'app') failpoint('run_pod:app-launched');
        const spec = specs.find((s) => s.name === c.name)!;
        if (spec.lifecycle?.postStart) await supervisor.postStart(rec, c, spec);
      });
    };
    for (const c of rec.containers.filter((x) => x.kind !== 'app')) {
      await launch(c);
      if (c.kind === 'sidecar') continue;
      const p = c.process!;
      const result = await waitForExitFile(paths.exits, p.id, { conmonPid: p.conmonPid, conmonStartTime: p.conmonStartTime, signal: cancelled });
      checkCancelled();
      await collectExit(ctx, rec, c, result);
      await ctx.save(rec);
      const t = c.state.terminated!;
      if (t.exitCode !== 0)
        throw new PodError(`init container "${c.name}" failed with exit code ${t.exitCode} (${t.reason})`, 'INIT_FAILED', {
          container: c.name,
          failure: { container: c.name, reason: t.reason, exitCode: t.exitCode, lastLines: [] },
        });
    }
    const apps = await Promise.allSettled(rec.containers.filter((x) => x.kind === 'app').map(launch));
    await pauseStarted;
    const appFailed = apps.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (appFailed) throw appFailed.reason;

    checkCancelled();
    failpoint('run_pod:before-running');
    rec.lifecycle = 'running';
    await ctx.save(rec);
    supervisor.watch(rec);
    if (!supervisor.enabled) supervisor.unwatch(uid);
    return toPodStatus(rec);
  } catch (err) {
    supervisor.unwatch(uid);
    // The pause's start may still be under way: let it finish before tearing down.
    await Promise.all([pauseStarted?.catch(() => undefined), directPause?.catch(() => undefined)]);
    // Whatever failed after a forced delete asked to stop (a pull cut short, say), the run was cancelled.
    const error = cancelled.aborted ? toPodError(cancelled.reason) : toPodError(err);
    // The failing container's output goes with the pod: keep its last lines first.
    const failure = cancelled.aborted ? undefined : await collectEvidence(ctx.home, record, error);
    try {
      await teardownPod(ctx, uid, record);
    } catch (cleanup) {
      error.message += ` (cleanup after the failure also failed: ${(cleanup as Error).message})`;
    }
    if (!record) await rm(paths.dir, { recursive: true, force: true }).catch(() => undefined);
    ctx.emit({ type: 'pod', time: new Date().toISOString(), pod: name, uid, phase: 'Failed', reason: runFailedReason(error), code: error.code, message: error.message, ...(failure ? { failure } : {}) });
    throw error;
  } finally {
    if (forward) ctx.listeners.delete(forward);
  }
}
