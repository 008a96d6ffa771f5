// Eviction of a microVM pod for its disk use (out-share-usage.ts), as the kubelet evicts for local storage and
// the native supervisor does (native/supervisor.ts): the VM is killed at once (no grace: the guest is not
// asked, it may be what fills the disk), the pod is Failed with reason Evicted and the message, and its disk
// emptyDirs are emptied to free the disk. The intent is saved before the kill, so a daemon killed midway
// finishes the eviction when it finds the VM gone (context.ts, refreshLocked).
import { isAlive, signalProcess, waitGone } from '../../runtime/processes';
import { emptyDiskVolumes } from '../native/volume-usage';
import type { VmContext } from './context';
import { vmPodPaths } from './out-share-usage';
import { readVmPod, writeVmPod, type VmPodRecord } from './records';

export function evictVmPod(ctx: VmContext, uid: string, message: string): Promise<void> {
  return ctx.locks.run(uid, async () => {
    const pod = await readVmPod(ctx.home, uid);
    // A VM that ended meanwhile is recorded by the watch with its own reason.
    if (!pod || pod.lifecycle !== 'running' || pod.vmDied || !pod.vm || !ctx.vmAlive(pod)) return;
    pod.evicting = { message };
    await writeVmPod(ctx.home, pod);
    ctx.disconnect(uid);
    signalProcess(pod.vm.pid, 'SIGKILL');
    await waitGone(pod.vm.pid, 10_000, pod.vm.startTime);
    // A VM that outlived the kill keeps `evicting`: the watch records the eviction once it is gone, and a
    // later measurement kills it again.
    await finishEviction(ctx, pod);
    if (pod.vmDied) ctx.unwatchPod(uid);
  });
}

/** Empties the disk volumes and records the eviction, once the VM is gone (lock held by the caller). */
export async function finishEviction(ctx: VmContext, pod: VmPodRecord): Promise<void> {
  if (!pod.evicting || (pod.vm && isAlive(pod.vm.pid, pod.vm.startTime))) return;
  await emptyDiskVolumes(pod.pod, vmPodPaths(ctx.home, pod));
  const message = pod.evicting.message;
  delete pod.evicting;
  await ctx.recordDeath(pod, { reason: 'Evicted', message });
}
