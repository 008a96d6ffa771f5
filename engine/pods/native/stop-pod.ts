// stop_pod: preStop hooks, the stop signal, the grace period (the request's, else the pod's
// terminationGracePeriodSeconds, else 30 s; at most 300 s), then SIGKILL. App containers stop together first,
// then native sidecars in reverse start order, then the pause container. The pod stays (status, logs) until
// it is deleted.
import { collectExit } from './collect-exit';
import type { RuntimeContext } from './context';
import { PodError, type PodStatus, type StopPodRequest } from '../types';
import { graceSeconds, specOf } from './spec-of';
import { readPod, resolvePodRef, type ContainerRecord, type PodRecord } from './state';
import { failpoint } from './failpoint';
import { disconnectPodNetwork } from './pod-network';
import { toPodStatus } from './status';
import { stopInstance } from './stop-container';
import type { Supervisor } from './supervisor';

export async function findPod(ctx: RuntimeContext, ref: string): Promise<string> {
  const uid = await resolvePodRef(ctx.home, ref);
  if (!uid) throw new PodError(`pod ${ref} not found`, 'NOT_FOUND');
  return uid;
}

/** Stops every container of a record (lock held by the caller); the record is saved as `stopped`. */
export async function stopRecord(ctx: RuntimeContext, supervisor: Supervisor, record: PodRecord, requestedGrace?: number): Promise<void> {
  supervisor.unwatch(record.uid);
  record.lifecycle = 'stopping';
  await ctx.save(record);
  failpoint('stop_pod:stopping');
  const deadline = Date.now() + graceSeconds(record, requestedGrace) * 1000;
  const target = supervisor.target(record);
  const stopOne = async (c: ContainerRecord) => {
    if (!c.process) return;
    const r = await stopInstance(ctx, record, c, { deadline, preStop: true, spec: specOf(record, c.name), target });
    await collectExit(ctx, record, c, r);
  };
  await Promise.all(record.containers.filter((c) => c.kind === 'app').map(stopOne));
  failpoint('stop_pod:apps-stopped');
  for (const c of record.containers.filter((x) => x.kind === 'sidecar').reverse()) await stopOne(c);
  // Init containers only run during run_pod, but a record from a crash may still show one.
  await Promise.all(record.containers.filter((c) => c.kind === 'init').map(stopOne));
  for (const c of record.containers) {
    // A container waiting out its back-off will not be restarted now: show how it last ended.
    if (c.state.waiting && c.lastState.terminated) c.state = c.lastState;
    delete c.backoff;
  }
  if (record.pause) {
    const runtime = ctx.oci(record);
    const pause = record.pause;
    await runtime.kill(pause.id, 'SIGKILL').catch(() => undefined);
    await stopInstance(ctx, record, { name: 'POD', process: pause, stopSignal: 'SIGKILL' } as ContainerRecord, { deadline: Date.now(), preStop: false });
    await runtime.delete(pause.id, true).catch(() => undefined);
  }
  await disconnectPodNetwork(ctx, record.uid);
  supervisor.unwatch(record.uid);
  record.lifecycle = 'stopped';
  record.reason = 'Stopped';
  record.message = 'stopped on request';
  await ctx.save(record);
}

export async function stopPod(ctx: RuntimeContext, supervisor: Supervisor, req: StopPodRequest): Promise<PodStatus> {
  const uid = await findPod(ctx, req.pod);
  return ctx.locks.run(uid, async () => {
    const record = await readPod(ctx.home, uid);
    if (!record) throw new PodError(`pod ${req.pod} not found`, 'NOT_FOUND');
    if (record.lifecycle === 'creating') throw new PodError(`pod ${req.pod} is still being created`, 'BUSY');
    if (record.lifecycle === 'running' || record.lifecycle === 'stopping') await stopRecord(ctx, supervisor, record, req.gracePeriodSeconds);
    return toPodStatus(record);
  });
}
