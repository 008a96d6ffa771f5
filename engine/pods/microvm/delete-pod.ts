// delete_pod: stop first unless forced (force: the VM is killed at once), then remove everything.
import { failpoint } from '../native/failpoint';
import { PodError, type DeletePodRequest } from '../types';
import type { VmContext } from './context';
import { findVmPod } from './names';
import { readVmPod, writeVmPod } from './records';
import { stopVmRecord } from './stop-pod';
import { toVmPodStatus } from './status';
import { teardownVmPod } from './teardown';

export async function deleteVmPod(ctx: VmContext, req: DeletePodRequest): Promise<void> {
  const uid = await findVmPod(ctx.home, req.pod);
  await ctx.locks.run(uid, async () => {
    const pod = await readVmPod(ctx.home, uid);
    if (!pod) throw new PodError(`pod ${req.pod} not found`, 'NOT_FOUND');
    if (pod.lifecycle === 'creating') throw new PodError(`pod ${req.pod} is still being created`, 'BUSY');
    ctx.unwatchPod(uid);
    if (!req.force && (pod.lifecycle === 'running' || pod.lifecycle === 'stopping')) await stopVmRecord(ctx, pod);
    const phase = toVmPodStatus(pod, await ctx.state(pod)).phase;
    pod.lifecycle = 'deleting';
    await writeVmPod(ctx.home, pod);
    failpoint('delete_pod:deleting');
    await teardownVmPod(ctx, uid, pod);
    ctx.emit({ type: 'pod', time: new Date().toISOString(), pod: pod.name, uid, phase, reason: 'Deleted' });
  });
}
