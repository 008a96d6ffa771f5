// logs: the CRI log files the supervisor writes, read by engine/logs exactly as native containers' are
// (tail, since, timestamps, previous instance, follow across rotations and restarts). The sandbox writes
// them, so they are read as untrusted: the directories on the way must be directories (not links the
// sandbox made to lead the daemon elsewhere), and engine/logs opens no file through a link.
import { lstat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { containerLogs } from '../container-logs';
import type { LogsRequest } from '../runtime';
import { PodError } from '../types';
import { supervisorAlive, type WasmContext } from './context';
import { findWasmPod } from './find-pod';
import { WasmPodPaths } from './paths';
import { readSupervisorState, readWasmPod } from './records';
import { effectiveLifecycle } from './status';

export async function wasmPodLogs(ctx: WasmContext, req: LogsRequest, signal?: AbortSignal): Promise<Readable> {
  const uid = await findWasmPod(ctx, req.pod);
  const pod = await readWasmPod(ctx.home, uid);
  if (!pod) throw new PodError(`pod ${req.pod} not found`, 'NOT_FOUND');
  const specs = [...(pod.pod.spec.initContainers ?? []), ...pod.pod.spec.containers];
  const name = req.container ?? pod.pod.spec.containers[0]?.name;
  if (!specs.some((c) => c.name === name)) throw new PodError(`pod ${pod.name} has no container "${req.container}"`, 'NOT_FOUND', { container: req.container });
  const paths = new WasmPodPaths(ctx.home, uid);
  const dir = paths.logDir(name!);
  for (const d of [paths.sandbox, dirname(dir), dir]) {
    const st = await lstat(d).catch(() => undefined);
    if (st && !st.isDirectory()) throw new PodError(`container "${name}": ${d} is not a directory (its pod's sandbox replaced it); its logs are not read`, 'NOT_FOUND', { container: name });
  }
  // Following ends when nothing will write to the log any more: the pod stopped, or its supervisor is gone.
  const isDone = async () => {
    const now = await readWasmPod(ctx.home, uid);
    if (!now) return true;
    const state = await readSupervisorState(ctx.home, now);
    const lifecycle = effectiveLifecycle(now, state);
    return lifecycle === 'stopped' || lifecycle === 'deleting' || (now.lifecycle !== 'creating' && !supervisorAlive(now));
  };
  return containerLogs(dir, name!, req, isDone, signal);
}
