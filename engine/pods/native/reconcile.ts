// reconcile: after a (re)start, make the recorded state true again. Pods keep running with no daemon (conmon
// is each container's parent), so running pods are simply supervised again: exits that happened meanwhile
// are collected from conmon's exit files (or marked unknown when conmon is gone too), restarts and probes
// resume. Pods caught mid-creation are removed (run_pod is atomic), mid-deletion are finished, mid-stop are
// stopped (in the background, with the deadline they had, and deleted after if a delete was pending). OCI containers under this home's runtime state that belong to no pod are killed and deleted.
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { findExecutable, OciRuntime, removeCgroupTree } from '../../runtime';
import { livePausePid } from './pod-netns';
import { connectPodNetwork } from './pod-network';
import type { RuntimeContext } from './context';
import { uidPrefix } from './paths';
import { listPodUids, readPod } from './state';
import { terminate } from './termination';
import type { Supervisor } from './supervisor';
import { teardownPod } from './teardown';

export async function reconcile(ctx: RuntimeContext, supervisor: Supervisor): Promise<void> {
  const uids = await listPodUids(ctx.home);
  for (const uid of uids) {
    await ctx.locks.run(uid, async () => {
      const record = await readPod(ctx.home, uid);
      if (!record || record.lifecycle === 'creating' || record.lifecycle === 'deleting') {
        await teardownPod(ctx, uid, record);
        if (record)
          ctx.emit({ type: 'pod', time: new Date().toISOString(), pod: record.name, uid, phase: 'Failed', reason: record.lifecycle === 'creating' ? 'CreationInterrupted' : 'Deleted' });
        return;
      }
      if (record.lifecycle === 'stopping' || (record.lifecycle === 'stopped' && record.deletion?.delete)) {
        // Resumed in the background with the deadline it had: a 300 s grace period must not hold up the
        // daemon's start, and a forced delete meanwhile still ends it at once.
        ctx.announce(record);
        const d = record.deletion;
        const deadlineMs = d ? Date.parse(d.timestamp) : NaN;
        void terminate(ctx, supervisor, uid, `${record.namespace}/${record.name}`, {
          at: Date.now(),
          ...(Number.isFinite(deadlineMs) ? { deadlineMs, deadlineGrace: d!.gracePeriodSeconds } : {}),
          ...(d?.delete ? { delete: true } : {}),
        }).catch(() => undefined);
        return;
      }
      ctx.announce(record);
      if (record.lifecycle !== 'running') return;
      // pasta outlives the daemon (kept when still attached); a forwarder of the last daemon ended with it.
      const pausePid = livePausePid(record.pause);
      if (pausePid) await connectPodNetwork(ctx, uid, record.pod, pausePid).catch(() => undefined);
      supervisor.watch(record);
    });
  }
  await removeOrphans(ctx, new Set((await listPodUids(ctx.home)).map(uidPrefix)));
}

/** Containers in this home's runtime state whose pod no longer exists (a crash between create and record). */
async function removeOrphans(ctx: RuntimeContext, prefixes: Set<string>): Promise<void> {
  for (const name of await readdir(join(ctx.home, 'runtime')).catch(() => [] as string[])) {
    const path = findExecutable(name);
    if (!path || !['runc', 'crun', 'youki'].includes(name)) continue;
    const runtime = new OciRuntime({ name, path, version: '' }, join(ctx.home, 'runtime', name));
    for (const id of await runtime.ids().catch(() => [] as string[])) {
      if (prefixes.has(id.split('-')[0])) continue;
      const cgroup = await cgroupOf(runtime.root, id);
      await runtime.kill(id, 'SIGKILL', true).catch(() => undefined);
      await runtime.delete(id, true).catch(() => undefined);
      if (cgroup?.startsWith('/podsmith/')) await removeCgroupTree(dirname(cgroup));
    }
  }
}

/** The cgroupsPath runc recorded for a container (runc's state.json; other runtimes: unknown). */
async function cgroupOf(root: string, id: string): Promise<string | undefined> {
  try {
    const state = JSON.parse(await readFile(join(root, id, 'state.json'), 'utf8')) as { config?: { cgroups?: { path?: string } } };
    return state.config?.cgroups?.path;
  } catch {
    return undefined;
  }
}

