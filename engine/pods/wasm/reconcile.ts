// reconcile: after a (re)start, make the recorded state true again. Supervisors run detached, so running pods
// simply go on: they are watched again, and one whose supervisor died meanwhile (pid and start time no longer
// match a live process) is recorded as such. Pods caught mid-creation are removed (run_pod is atomic), mid-
// deletion are finished, mid-stop are stopped. Last, sandboxes no pod records and no live runtime owns (an
// idle spare whose runtime died, a sandbox started by a run_pod killed before recording it) are removed.
import type { WasmContext } from './context';
import { listWasmPodUids, readWasmPod } from './records';
import { sweepSandboxes } from './sandbox';
import { stopWasmRecord } from './stop-pod';
import { teardownWasmPod } from './teardown';

export async function reconcileWasm(ctx: WasmContext): Promise<void> {
  for (const uid of await listWasmPodUids(ctx.home)) {
    await ctx.locks.run(uid, async () => {
      const pod = await readWasmPod(ctx.home, uid);
      if (!pod || pod.lifecycle === 'creating' || pod.lifecycle === 'deleting') {
        await teardownWasmPod(ctx, uid, pod);
        if (pod) ctx.emit({ type: 'pod', time: new Date().toISOString(), pod: pod.name, uid, phase: 'Failed', reason: pod.lifecycle === 'creating' ? 'CreationInterrupted' : 'Deleted' });
        return;
      }
      if (pod.lifecycle === 'stopping') return stopWasmRecord(ctx, pod);
      const current = await ctx.refreshLocked(uid);
      if (!current) return;
      ctx.announce(current.pod, current.state);
      if (pod.lifecycle === 'running') ctx.watchPod(uid);
    });
  }
  const referenced = new Set<string>();
  for (const uid of await listWasmPodUids(ctx.home)) {
    const id = (await readWasmPod(ctx.home, uid))?.sandbox?.id;
    if (id) referenced.add(id);
  }
  await sweepSandboxes(ctx.home, referenced);
}
