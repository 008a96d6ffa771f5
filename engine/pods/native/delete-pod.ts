// delete_pod: a graceful stop first (unless forced: then everything is killed at once), then the teardown of
// containers, conmon, cgroups, mounts, bundles, volumes, logs and the name. The record is marked `deleting`
// before the teardown, so a daemon killed midway finishes the deletion on reconcile. A delete during a stop
// joins it (termination.ts): forced, it ends the grace period at once. A forced delete of a pod that run_pod is
// still creating cancels the run, which rolls back and reports CANCELLED.
import type { RuntimeContext } from './context';
import { PodError, type DeletePodRequest } from '../types';
import { readPod } from './state';
import { findPod } from './stop-pod';
import type { Supervisor } from './supervisor';
import { terminate } from './termination';

export async function deletePod(ctx: RuntimeContext, supervisor: Supervisor, req: DeletePodRequest): Promise<void> {
  const uid = await findPod(ctx, req.pod);
  const creation = ctx.creations.get(uid);
  if (creation) {
    if (!req.force) throw new PodError(`pod ${req.pod} is still being created; 'podsmith rm -f ${req.pod}' cancels it`, 'BUSY');
    creation.cancel.abort(new PodError(`pod ${req.pod}: run cancelled by a forced delete while the pod was starting; nothing of it is left`, 'CANCELLED'));
    await creation.settled;
    // Rolled back: nothing is left to delete. Past its last step the run won, and the pod is deleted below.
    if (!(await readPod(ctx.home, uid))) return;
  }
  await terminate(ctx, supervisor, uid, req.pod, { at: Date.now(), delete: true, ...(req.force ? { force: true } : {}) });
}
