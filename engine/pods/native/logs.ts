// logs: the CRI log files conmon writes, read by engine/logs (tail, since, timestamps, follow across
// rotations and restarts, previous instance).
import type { Readable } from 'node:stream';
import { containerLogs } from '../container-logs';
import type { LogsRequest } from '../runtime';
import { PodError } from '../types';
import type { RuntimeContext } from './context';
import { PodPaths } from './paths';
import { readPod } from './state';
import { findPod } from './stop-pod';

export async function podLogs(ctx: RuntimeContext, req: LogsRequest, signal?: AbortSignal): Promise<Readable> {
  const uid = await findPod(ctx, req.pod);
  const record = await readPod(ctx.home, uid);
  if (!record) throw new PodError(`pod ${req.pod} not found`, 'NOT_FOUND');
  const c = req.container ? record.containers.find((x) => x.name === req.container) : record.containers.find((x) => x.kind === 'app');
  if (!c) throw new PodError(`pod ${record.name} has no container "${req.container}"`, 'NOT_FOUND', { container: req.container });
  const dir = new PodPaths(ctx.home, uid).logDir(c.name);
  // Following ends when the pod is stopped or gone: nothing will write to the log any more.
  const isDone = async () => {
    const now = await readPod(ctx.home, uid);
    return !now || now.lifecycle === 'stopped' || now.lifecycle === 'deleting';
  };
  return containerLogs(dir, c.name, req, isDone, signal);
}
