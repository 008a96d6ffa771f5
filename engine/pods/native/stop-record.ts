// Stopping every container of a pod (the caller holds the pod's lock): preStop hooks, the stop signal, the
// deadline, then SIGKILL. App containers stop together first, then native sidecars in reverse start order,
// then the pause container and the network. The record is saved as `stopped`; the pod stays until deleted.
import { collectExit } from './collect-exit';
import type { RuntimeContext } from './context';
import type { Deadline } from './deadline';
import { failpoint } from './failpoint';
import { stopPause } from './pause-process';
import { disconnectPodNetwork } from './pod-network';
import { specOf } from './spec-of';
import type { ContainerRecord, PodRecord } from './state';
import { stopInstance } from './stop-container';
import type { Supervisor } from './supervisor';

export async function stopRecord(ctx: RuntimeContext, supervisor: Supervisor, record: PodRecord, deadline: Deadline): Promise<void> {
  supervisor.unwatch(record.uid);
  record.lifecycle = 'stopping';
  await ctx.save(record);
  failpoint('stop_pod:stopping');
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
  await stopPause(ctx, record);
  await disconnectPodNetwork(ctx, record.uid);
  supervisor.unwatch(record.uid);
  record.lifecycle = 'stopped';
  record.reason = 'Stopped';
  record.message = 'stopped on request';
  await ctx.save(record);
}
