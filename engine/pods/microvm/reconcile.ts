// reconcile: after a (re)start, make the recorded state true again. VMs run detached, so running pods go on:
// they are watched again and their agents reconnected (the agent kept the pod's state meanwhile); one whose
// VM died meanwhile is recorded as Failed with the reason its console gives. Pods caught mid-creation are
// removed, VM and all (run_pod is atomic); mid-deletion are finished; mid-stop are stopped. A VM template
// whose build was cut short is removed, its QEMU killed.
import type { VmContext } from './context';
import { listVmPodUids, readVmPod } from './records';
import { stopVmRecord } from './stop-pod';
import { teardownVmPod } from './teardown';
import { sweepAbandonedBuilds, templatesDir } from './template';

export async function reconcileVm(ctx: VmContext): Promise<void> {
  // A template a killed daemon was building: its QEMU is stopped and its directory removed.
  await sweepAbandonedBuilds(ctx.options.templatesDir ?? templatesDir(ctx.options.cache)).catch(() => undefined);
  for (const uid of await listVmPodUids(ctx.home)) {
    await ctx.locks.run(uid, async () => {
      const pod = await readVmPod(ctx.home, uid);
      if (!pod || pod.lifecycle === 'creating' || pod.lifecycle === 'deleting') {
        await teardownVmPod(ctx, uid, pod);
        if (pod) ctx.emit({ type: 'pod', time: new Date().toISOString(), pod: pod.name, uid, phase: 'Failed', reason: pod.lifecycle === 'creating' ? 'CreationInterrupted' : 'Deleted' });
        return;
      }
      if (pod.lifecycle === 'stopping') return stopVmRecord(ctx, pod);
      const current = await ctx.refreshLocked(uid);
      if (!current) return;
      ctx.announce(current.pod, current.state);
      if (pod.lifecycle === 'running' && !current.pod.vmDied) ctx.watchPod(uid);
    });
  }
}
