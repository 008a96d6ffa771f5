// delete_pod: a graceful stop first (unless forced: the supervisor is killed at once), then the teardown of
// the supervisor, unpacked images, volumes, modules, logs and the name. The record says `deleting` before the
// teardown, so a daemon killed midway finishes the deletion on reconcile.
import { PodError, type DeletePodRequest } from '../types';
import type { WasmContext } from './context';
import { findWasmPod } from './find-pod';
import { readSupervisorState, readWasmPod, writeWasmPod } from './records';
import { stopWasmRecord } from './stop-pod';
import { toWasmPodStatus } from './status';
import { teardownWasmPod } from './teardown';

export async function deleteWasmPod(ctx: WasmContext, req: DeletePodRequest): Promise<void> {
  const uid = await findWasmPod(ctx, req.pod);
  await ctx.locks.run(uid, async () => {
    const pod = await readWasmPod(ctx.home, uid);
    if (!pod) throw new PodError(`pod ${req.pod} not found`, 'NOT_FOUND');
    if (pod.lifecycle === 'creating') throw new PodError(`pod ${req.pod} is still being created`, 'BUSY');
    ctx.unwatchPod(uid);
    if (!req.force && (pod.lifecycle === 'running' || pod.lifecycle === 'stopping')) await stopWasmRecord(ctx, pod);
    const phase = toWasmPodStatus(pod, await readSupervisorState(ctx.home, pod)).phase;
    pod.lifecycle = 'deleting';
    await writeWasmPod(ctx.home, pod);
    await teardownWasmPod(ctx, uid, pod);
    ctx.emit({ type: 'pod', time: new Date().toISOString(), pod: pod.name, uid, phase, reason: 'Deleted' });
  });
}
