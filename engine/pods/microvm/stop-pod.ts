// stop_pod: the agent stops the containers within the grace period (preStop hooks, the stop signal, SIGKILL at
// the deadline; apps first, then sidecars in reverse, then init containers), records their exits, and the VM
// is powered off; a VM that does not go within a margin is killed. A guest that no longer answers is killed
// at once. The pod stays (status, logs) until it is deleted.
import { rename, writeFile } from 'node:fs/promises';
import { isAlive, signalProcess, waitGone } from '../../runtime/processes';
import { failpoint } from '../native/failpoint';
import { MAX_GRACE_SECONDS } from '../native/spec-of';
import { PodError, type PodStatus, type StopPodRequest } from '../types';
import type { VmContext } from './context';
import { findVmPod } from './names';
import { readVmPod, type VmPodRecord } from './records';
import { VmPodPaths } from './paths';
import { effectiveLifecycle, markVmDead, toVmPodStatus } from './status';

/** How long past the grace period the agent may take to record the end and the VM to power off. */
const EXIT_MARGIN_MS = 20_000;

export function graceOf(pod: VmPodRecord, requested?: number): number {
  return Math.min(Math.max(0, requested ?? pod.pod.spec.terminationGracePeriodSeconds ?? 30), MAX_GRACE_SECONDS);
}

/** Stops the pod's containers and its VM and records the pod as stopped (lock held by the caller). */
export async function stopVmRecord(ctx: VmContext, pod: VmPodRecord, requestedGrace?: number): Promise<void> {
  const before = await ctx.state(pod);
  const finishedBefore = effectiveLifecycle(pod, before) === 'stopped';
  ctx.unwatchPod(pod.uid);
  pod.lifecycle = 'stopping';
  await ctx.save(pod, before);
  failpoint('stop_pod:stopping');
  const grace = graceOf(pod, requestedGrace);
  const vm = pod.vm;
  if (vm && isAlive(vm.pid, vm.startTime) && !pod.vmDied) {
    let stopped = false;
    try {
      const agent = await ctx.agent(pod, 10_000);
      await agent.request('pod.stop', { gracePeriodSeconds: grace }, grace * 1000 + EXIT_MARGIN_MS);
      stopped = true;
      failpoint('stop_pod:apps-stopped');
      await agent.request('guest.poweroff', {}, 10_000).catch(() => undefined);
    } catch {
      // No answer: the VM goes without its agent's word (status keeps what it last wrote).
    }
    ctx.disconnect(pod.uid);
    if (!(await waitGone(vm.pid, stopped ? 10_000 : 0, vm.startTime))) {
      signalProcess(vm.pid, 'SIGKILL');
      await waitGone(vm.pid, 10_000, vm.startTime);
    }
  }
  ctx.disconnect(pod.uid);
  ctx.stopPasst(pod);
  if (pod.passt) await waitGone(pod.passt.pid, 5000, pod.passt.startTime);
  const after = await ctx.state(pod);
  if (!pod.vmDied && (!after || (after.phase !== 'stopped' && after.phase !== 'failed'))) {
    // The agent did not get to record the end: record it for it, on the host's side.
    const paths = new VmPodPaths(ctx.home, pod.uid);
    const final = markVmDead(pod, after, 'the pod was stopped and its agent did not record the end in time');
    final.reason = 'Stopped';
    const temp = `${paths.finalStateFile}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify(final) + '\n', { mode: 0o600 });
    await rename(temp, paths.finalStateFile);
    pod.vmDied = { reason: 'Stopped', message: 'stopped on request; the guest did not record the end', at: new Date().toISOString() };
  }
  pod.lifecycle = 'stopped';
  if (!finishedBefore && !pod.vmDied) {
    pod.reason = 'Stopped';
    pod.message = 'stopped on request';
  }
  await ctx.save(pod);
}

export async function stopVmPod(ctx: VmContext, req: StopPodRequest): Promise<PodStatus> {
  const uid = await findVmPod(ctx.home, req.pod);
  return ctx.locks.run(uid, async () => {
    const pod = await readVmPod(ctx.home, uid);
    if (!pod) throw new PodError(`pod ${req.pod} not found`, 'NOT_FOUND');
    if (pod.lifecycle === 'creating') throw new PodError(`pod ${req.pod} is still being created`, 'BUSY');
    if (pod.lifecycle === 'running' || pod.lifecycle === 'stopping') await stopVmRecord(ctx, pod, req.gracePeriodSeconds);
    return toVmPodStatus(pod, await ctx.state(pod));
  });
}
