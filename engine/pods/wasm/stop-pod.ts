// stop_pod: the grace period goes to stop.json, then SIGTERM to the supervisor, which gives each module the
// grace period to end by itself and terminates it after that (apps first, then sidecars, then init
// containers), records the exits and leaves. A supervisor that outlives the grace period by far is killed
// and its running modules recorded as killed. The pod stays (status, logs) until it is deleted.
import { graceSeconds } from '../native/spec-of';
import { isAlive, signalProcess, waitGone } from '../../runtime/processes';
import { PodError, type PodStatus, type StopPodRequest } from '../types';
import { markSupervisorDead, supervisorRef, type WasmContext } from './context';
import { findWasmPod } from './find-pod';
import { WasmPodPaths } from './paths';
import { readSupervisorState, readWasmPod, writeJsonSync, writeSupervisorState, type WasmPodRecord } from './records';
import { asNativeRecord, effectiveLifecycle, toWasmPodStatus } from './status';

/** How long past the grace period a supervisor may take to write its last state and leave. */
const EXIT_MARGIN_MS = 10_000;

/** Stops the pod's supervisor and records the pod as stopped (lock held by the caller). */
export async function stopWasmRecord(ctx: WasmContext, pod: WasmPodRecord, requestedGrace?: number): Promise<void> {
  const paths = new WasmPodPaths(ctx.home, pod.uid);
  let state = await readSupervisorState(ctx.home, pod);
  const finishedBefore = effectiveLifecycle(pod, state) === 'stopped';
  ctx.unwatchPod(pod.uid);
  pod.lifecycle = 'stopping';
  await ctx.save(pod, state);
  const grace = graceSeconds(asNativeRecord(pod, state), requestedGrace);
  const ref = supervisorRef(pod);
  if (ref && isAlive(ref.pid, ref.startTime)) {
    // Readable by the sandbox's id: the supervisor reads it through its read-only bind of the pod directory.
    writeJsonSync(paths.stopFile, { gracePeriodSeconds: grace }, 0o644);
    signalProcess(ref.pid, 'SIGTERM');
    if (!(await waitGone(ref.pid, grace * 1000 + EXIT_MARGIN_MS, ref.startTime))) {
      signalProcess(ref.pid, 'SIGKILL');
      await waitGone(ref.pid, 5000, ref.startTime);
    }
  }
  state = await readSupervisorState(ctx.home, pod);
  if (!state || (state.phase !== 'stopped' && state.phase !== 'failed')) {
    // The supervisor did not get to record the end (killed, or crashed earlier): record it for it.
    state = markSupervisorDead(pod, state, 'the pod was stopped and its supervisor did not record the end in time');
    state.reason = 'Stopped';
    await writeSupervisorState(ctx.home, state);
  }
  pod.lifecycle = 'stopped';
  if (!finishedBefore) {
    pod.reason = 'Stopped';
    pod.message = 'stopped on request';
  }
  await ctx.save(pod, state);
}

export async function stopWasmPod(ctx: WasmContext, req: StopPodRequest): Promise<PodStatus> {
  const uid = await findWasmPod(ctx, req.pod);
  return ctx.locks.run(uid, async () => {
    const pod = await readWasmPod(ctx.home, uid);
    if (!pod) throw new PodError(`pod ${req.pod} not found`, 'NOT_FOUND');
    if (pod.lifecycle === 'creating') throw new PodError(`pod ${req.pod} is still being created`, 'BUSY');
    if (pod.lifecycle === 'running' || pod.lifecycle === 'stopping') await stopWasmRecord(ctx, pod, req.gracePeriodSeconds);
    return toWasmPodStatus(pod, await readSupervisorState(ctx.home, pod));
  });
}
