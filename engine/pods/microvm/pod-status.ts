// pod_status and list_pods: both sides read fresh; a VM found dead meanwhile is recorded first.
import { PodError, type PodStatus } from '../types';
import type { VmContext } from './context';
import { findVmPod } from './names';
import { listVmPodUids } from './records';
import { toVmPodStatus } from './status';

async function statusOf(ctx: VmContext, uid: string): Promise<PodStatus | undefined> {
  const current = await ctx.refresh(uid);
  return current ? toVmPodStatus(current.pod, current.state) : undefined;
}

export async function vmPodStatus(ctx: VmContext, ref: string): Promise<PodStatus> {
  const uid = await findVmPod(ctx.home, ref);
  const status = await statusOf(ctx, uid);
  if (!status) throw new PodError(`pod ${ref} not found`, 'NOT_FOUND');
  return status;
}

export async function listVmPods(ctx: VmContext): Promise<PodStatus[]> {
  const out: PodStatus[] = [];
  for (const uid of await listVmPodUids(ctx.home)) {
    const s = await statusOf(ctx, uid);
    if (s) out.push(s);
  }
  return out.sort((a, b) => (a.startTime ?? '').localeCompare(b.startTime ?? '') || a.name.localeCompare(b.name));
}
