// delete_pod: a graceful stop first (unless forced: then everything is killed at once), then the teardown of
// containers, conmon, cgroups, mounts, bundles, volumes, logs and the name. The record is marked `deleting`
// before the teardown, so a daemon killed midway finishes the deletion on reconcile.
import type { RuntimeContext } from './context';
import { PodError, type DeletePodRequest } from '../types';
import { readPod, writePod } from './state';
import { podPhase } from './status';
import { findPod, stopRecord } from './stop-pod';
import type { Supervisor } from './supervisor';
import { failpoint } from './failpoint';
import { teardownPod } from './teardown';

export async function deletePod(ctx: RuntimeContext, supervisor: Supervisor, req: DeletePodRequest): Promise<void> {
  const uid = await findPod(ctx, req.pod);
  await ctx.locks.run(uid, async () => {
    const record = await readPod(ctx.home, uid);
    if (!record) throw new PodError(`pod ${req.pod} not found`, 'NOT_FOUND');
    if (record.lifecycle === 'creating') throw new PodError(`pod ${req.pod} is still being created`, 'BUSY');
    supervisor.unwatch(uid);
    if (!req.force && (record.lifecycle === 'running' || record.lifecycle === 'stopping')) await stopRecord(ctx, supervisor, record);
    const phase = podPhase(record);
    record.lifecycle = 'deleting';
    await writePod(ctx.home, record);
    failpoint('delete_pod:deleting');
    await teardownPod(ctx, uid, record);
    ctx.emit({ type: 'pod', time: new Date().toISOString(), pod: record.name, uid, phase, reason: 'Deleted' });
  });
}
