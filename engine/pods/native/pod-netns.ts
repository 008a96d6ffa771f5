// Which network namespace a pod's loopback lives in, for port-forward: the pause process holds it.
import { isAlive } from '../../runtime';
import { PodError } from '../types';
import type { RuntimeContext } from './context';
import { readPod } from './state';
import { findPod } from './stop-pod';

export async function podNetns(ctx: RuntimeContext, ref: string): Promise<number> {
  const uid = await findPod(ctx, ref);
  const record = await readPod(ctx.home, uid);
  if (!record) throw new PodError(`pod ${ref} not found`, 'NOT_FOUND');
  if (record.pod.spec.hostNetwork) throw new PodError(`pod ${record.name} uses the host's network: connect to its ports on this host directly`, 'NOT_SUPPORTED');
  const pause = record.pause;
  if (record.lifecycle !== 'running' || !pause || !isAlive(pause.pid))
    throw new PodError(`pod ${record.name} is not running (start it with 'podsmith run')`, 'INVALID');
  return pause.pid;
}
