// pod_status and list_pods: both files read fresh; a supervisor found dead meanwhile is recorded first
// (any runtime instance may do that: nothing else writes status.json once the supervisor is gone).
import { PodError, type PodStatus } from '../types';
import type { WasmContext } from './context';
import { findWasmPod } from './find-pod';
import { listWasmPodUids } from './records';
import { toWasmPodStatus } from './status';

async function statusOf(ctx: WasmContext, uid: string): Promise<PodStatus | undefined> {
  const current = await ctx.refresh(uid);
  return current ? toWasmPodStatus(current.pod, current.state) : undefined;
}

export async function wasmPodStatus(ctx: WasmContext, ref: string): Promise<PodStatus> {
  const uid = await findWasmPod(ctx, ref);
  const status = await statusOf(ctx, uid);
  if (!status) throw new PodError(`pod ${ref} not found`, 'NOT_FOUND');
  return status;
}

export async function listWasmPods(ctx: WasmContext): Promise<PodStatus[]> {
  const out: PodStatus[] = [];
  for (const uid of await listWasmPodUids(ctx.home)) {
    const s = await statusOf(ctx, uid);
    if (s) out.push(s);
  }
  return out.sort((a, b) => (a.startTime ?? '').localeCompare(b.startTime ?? '') || a.name.localeCompare(b.name));
}
