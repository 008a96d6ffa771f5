// stop_pod: preStop hooks, the stop signal, the grace period (the request's, else the pod's
// terminationGracePeriodSeconds, else 30 s; at most 300 s), then SIGKILL (stop-record.ts). The pod stays
// (status, logs) until it is deleted. A stop during another stop or a delete joins it (termination.ts): a
// shorter grace period takes effect at once.
import type { RuntimeContext } from './context';
import { PodError, type PodStatus, type StopPodRequest } from '../types';
import { lookupName, splitPodRef } from './pod-names';
import { resolvePodRef } from './state';
import type { Supervisor } from './supervisor';
import { terminate } from './termination';

/** The uid of a pod given as uid, `name` or `namespace/name`, including one run_pod is still creating here. */
export async function findPod(ctx: RuntimeContext, ref: string): Promise<string> {
  const uid = (await resolvePodRef(ctx.home, ref)) ?? (await creatingPod(ctx, ref));
  if (!uid) throw new PodError(`pod ${ref} not found`, 'NOT_FOUND');
  return uid;
}

/** A pod whose name is claimed but whose record is not written yet. */
async function creatingPod(ctx: RuntimeContext, ref: string): Promise<string | undefined> {
  if (ctx.creations.has(ref)) return ref;
  const { namespace, name } = splitPodRef(ref);
  const uid = await lookupName(ctx.home, namespace, name);
  return uid && ctx.creations.has(uid) ? uid : undefined;
}

export async function stopPod(ctx: RuntimeContext, supervisor: Supervisor, req: StopPodRequest): Promise<PodStatus> {
  const uid = await findPod(ctx, req.pod);
  if (ctx.creations.has(uid)) throw new PodError(`pod ${req.pod} is still being created; 'podsmith rm -f ${req.pod}' cancels it`, 'BUSY');
  return terminate(ctx, supervisor, uid, req.pod, { at: Date.now(), ...(req.gracePeriodSeconds !== undefined ? { graceSeconds: req.gracePeriodSeconds } : {}) });
}
