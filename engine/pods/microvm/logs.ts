// logs: the CRI files the agent writes on the out share, read by engine/logs exactly as native containers'
// are (tail, since, timestamps, previous instance, follow across rotations and restarts).
import type { Readable } from 'node:stream';
import { containerLogs } from '../container-logs';
import type { LogsRequest } from '../runtime';
import { PodError } from '../types';
import type { VmContext } from './context';
import { findVmPod } from './names';
import { VmPodPaths } from './paths';
import { readVmPod } from './records';
import { effectiveLifecycle } from './status';

export async function vmPodLogs(ctx: VmContext, req: LogsRequest, signal?: AbortSignal): Promise<Readable> {
  const uid = await findVmPod(ctx.home, req.pod);
  const pod = await readVmPod(ctx.home, uid);
  if (!pod) throw new PodError(`pod ${req.pod} not found`, 'NOT_FOUND');
  const name = req.container ?? pod.pod.spec.containers[0]?.name;
  if (!pod.containers.some((c) => c.name === name)) throw new PodError(`pod ${pod.name} has no container "${req.container}"`, 'NOT_FOUND', { container: req.container });
  const dir = new VmPodPaths(ctx.home, uid).logDir(name!);
  // Following ends when nothing will write to the log any more: the pod stopped, or its VM is gone.
  const isDone = async () => {
    const now = await readVmPod(ctx.home, uid);
    if (!now) return true;
    const lifecycle = effectiveLifecycle(now, await ctx.state(now));
    return lifecycle === 'stopped' || lifecycle === 'deleting' || (now.lifecycle !== 'creating' && !ctx.vmAlive(now));
  };
  return containerLogs(dir, name!, req, isDone, signal);
}
