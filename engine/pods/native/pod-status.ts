// pod_status and list_pods. A supervising instance first collects exits it has not processed yet; any other
// instance (a CLI reading state while no daemon runs) shows exits found in conmon's exit files without
// changing anything on disk.
import { access, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isAlive, readExitCode } from '../../runtime';
import { PodError, type PodStatus } from '../types';
import type { RuntimeContext } from './context';
import { PodPaths } from './paths';
import { listPodUids, readPod, type PodRecord } from './state';
import { refreshConditions, toPodStatus } from './status';
import { findPod } from './stop-pod';
import type { Supervisor } from './supervisor';

/** The record as it would be once pending exits are collected (not saved); `changed` when there were any. */
async function withPendingExits(ctx: RuntimeContext, record: PodRecord): Promise<{ record: PodRecord; changed: boolean }> {
  if (record.lifecycle !== 'running') return { record, changed: false };
  const paths = new PodPaths(ctx.home, record.uid);
  let changed = false;
  for (const c of record.containers) {
    const p = c.process;
    if (!p) continue;
    const code = await readExitCode(paths.exits, p.id);
    if (code === undefined && isAlive(p.conmonPid, p.conmonStartTime)) continue;
    const oom = await access(join(paths.bundle(c.name, c.restartCount), 'p', 'oom')).then(() => true, () => false);
    const reason = code === undefined ? 'ContainerStatusUnknown' : oom ? 'OOMKilled' : code === 0 ? 'Completed' : 'Error';
    // When conmon wrote the exit file, as collectExit records it.
    const finishedAt = (await stat(join(paths.exits, p.id)).catch(() => undefined))?.mtime ?? new Date();
    c.state = { terminated: { exitCode: code ?? 137, reason, ...(c.state.running ? { startedAt: c.state.running.startedAt } : {}), finishedAt: finishedAt.toISOString() } };
    c.ready = false;
    changed = true;
  }
  if (changed) refreshConditions(record);
  return { record, changed };
}

async function statusOf(ctx: RuntimeContext, supervisor: Supervisor, uid: string, watched: (uid: string) => boolean): Promise<PodStatus | undefined> {
  // Fresh exits first, unless a stop or delete holds the pod (it may take its whole grace period): a status
  // never waits for that; the record plus pending exit files say enough meanwhile.
  const supervising = () => supervisor.enabled && watched(uid) && !ctx.terminations.has(uid);
  for (let round = 0; ; round++) {
    if (supervising()) await supervisor.check(uid);
    const record = await readPod(ctx.home, uid);
    if (!record) return undefined;
    const pending = await withPendingExits(ctx, record);
    // An exit that landed just after the check: the supervisor acts on it (a finished pod's sandbox stops)
    // rather than the status guessing at half of it.
    if (!pending.changed || round === 2 || !supervising()) return toPodStatus(pending.record);
  }
}

export async function podStatus(ctx: RuntimeContext, supervisor: Supervisor, ref: string, watched: (uid: string) => boolean): Promise<PodStatus> {
  const uid = await findPod(ctx, ref);
  const status = await statusOf(ctx, supervisor, uid, watched);
  if (!status) throw new PodError(`pod ${ref} not found`, 'NOT_FOUND');
  return status;
}

export async function listPods(ctx: RuntimeContext, supervisor: Supervisor, watched: (uid: string) => boolean): Promise<PodStatus[]> {
  const out: PodStatus[] = [];
  for (const uid of await listPodUids(ctx.home)) {
    const s = await statusOf(ctx, supervisor, uid, watched);
    // Pods being deleted are on their way out; pods being created are shown (Pending).
    if (s) out.push(s);
  }
  return out.sort((a, b) => (a.startTime ?? '').localeCompare(b.startTime ?? '') || a.name.localeCompare(b.name));
}
