// stop_pod and delete_pod as one in-flight termination per pod. The first request takes the pod's lock and
// does the work; a request that arrives meanwhile joins it instead of queueing behind it, as a second
// `kubectl delete` acts on a pod that is already terminating:
//   - a shorter grace period (`stop --grace 1`) or a forced delete brings the SIGKILL deadline forward at once
//     (never back);
//   - a delete makes the pod go once it has stopped;
//   - every joined caller gets the outcome of the same termination.
// The deadline and the wish to delete are saved in the record (`deletion`, shown as deletionTimestamp and
// Terminating), so a daemon stopped or killed meanwhile leaves a state the next one resumes (reconcile.ts).
import { PodError, type PodStatus } from '../types';
import type { RuntimeContext } from './context';
import { Deadline } from './deadline';
import { failpoint } from './failpoint';
import { graceSeconds } from './spec-of';
import { readPod, type PodRecord } from './state';
import { podPhase, toPodStatus } from './status';
import { stopRecord } from './stop-record';
import type { Supervisor } from './supervisor';
import { teardownPod } from './teardown';

export interface TerminationRequest {
  /** The request's grace period in seconds; absent: the pod's terminationGracePeriodSeconds. */
  graceSeconds?: number;
  /** No grace at all: SIGKILL now, and a deleted pod skips the stop (delete --force). */
  force?: boolean;
  /** Delete the pod once it is stopped. */
  delete?: boolean;
  /** When the request arrived (ms since the epoch): its grace period counts from here. */
  at: number;
  /** An absolute deadline instead (a resumed termination). */
  deadlineMs?: number;
  /** The grace period that set `deadlineMs`, for deletionGracePeriodSeconds. */
  deadlineGrace?: number;
}

export class Termination {
  private readonly requests: TerminationRequest[] = [];
  private deleteWanted = false;
  private record: PodRecord | undefined;
  private deadline: Deadline | undefined;
  private persist: (() => void) | undefined;
  /** Set once the owner has decided the outcome; later requests start a termination of their own. */
  closed = false;
  done!: Promise<PodStatus>;

  get deleteAfter(): boolean {
    return this.deleteWanted;
  }

  get forcedDelete(): boolean {
    return this.requests.some((r) => r.force && r.delete);
  }

  add(r: TerminationRequest): void {
    this.requests.push(r);
    if (r.delete) this.deleteWanted = true;
    this.apply();
  }

  /** The owner has the record (lock held): the deadline starts, and changes are saved through `persist`. */
  begin(record: PodRecord, persist: () => void): Deadline {
    this.record = record;
    this.deadline = new Deadline(this.wanted(record).at);
    this.apply();
    this.persist = persist;
    return this.deadline;
  }

  /** No more joining: what the requests asked for so far is what happens. */
  close(): void {
    this.closed = true;
    this.persist = undefined;
    this.deadline?.dispose();
  }

  /** The earliest deadline any request asks for, with the grace period that set it. */
  private wanted(record: PodRecord): { at: number; grace: number } {
    let best = { at: Infinity, grace: 0 };
    for (const r of this.requests) {
      const grace = r.force ? 0 : r.deadlineMs !== undefined ? (r.deadlineGrace ?? 0) : graceSeconds(record, r.graceSeconds);
      const at = r.deadlineMs ?? r.at + grace * 1000;
      if (at < best.at) best = { at, grace };
    }
    return best;
  }

  private apply(): void {
    const record = this.record;
    if (!record || !this.deadline || this.closed) return;
    const { at, grace } = this.wanted(record);
    this.deadline.shorten(at);
    const before = record.deletion;
    const timestamp = new Date(this.deadline.ms).toISOString();
    const gracePeriodSeconds = before && before.timestamp === timestamp ? before.gracePeriodSeconds : grace;
    record.deletion = { timestamp, gracePeriodSeconds, delete: this.deleteWanted };
    if (!before || before.timestamp !== timestamp || before.delete !== this.deleteWanted) this.persist?.();
  }
}

/** Stops (and with `delete`, deletes) the pod, or joins the termination already under way. */
export function terminate(ctx: RuntimeContext, supervisor: Supervisor, uid: string, ref: string, request: TerminationRequest): Promise<PodStatus> {
  const current = ctx.terminations.get(uid);
  if (current && !current.closed) {
    current.add(request);
    return current.done;
  }
  const t = new Termination();
  t.add(request);
  ctx.terminations.set(uid, t);
  t.done = ctx.locks
    .run(uid, () => terminateLocked(ctx, supervisor, t, uid, ref))
    .finally(() => {
      t.close();
      if (ctx.terminations.get(uid) === t) ctx.terminations.delete(uid);
    });
  // Callers await it; a resumed termination (reconcile) has none, and its failure is in the record.
  t.done.catch(() => undefined);
  return t.done;
}

async function terminateLocked(ctx: RuntimeContext, supervisor: Supervisor, t: Termination, uid: string, ref: string): Promise<PodStatus> {
  const record = await readPod(ctx.home, uid);
  if (!record) throw new PodError(`pod ${ref} not found`, 'NOT_FOUND');
  if (record.lifecycle === 'creating') throw new PodError(`pod ${ref} is still being created; 'podsmith rm -f ${ref}' cancels it`, 'BUSY');
  supervisor.unwatch(uid);
  const live = record.lifecycle === 'running' || record.lifecycle === 'stopping';
  if (live && !t.forcedDelete) {
    const deadline = t.begin(record, () => void ctx.save(record).catch(() => undefined));
    await stopRecord(ctx, supervisor, record, deadline);
  }
  // From here on the outcome is fixed: a request arriving now starts over (and finds the pod stopped or gone).
  t.close();
  const status = toPodStatus(record);
  if (!t.deleteAfter) {
    if (record.deletion) {
      delete record.deletion;
      await ctx.save(record);
    }
    return toPodStatus(record);
  }
  const phase = podPhase(record);
  record.lifecycle = 'deleting';
  await ctx.save(record);
  failpoint('delete_pod:deleting');
  await teardownPod(ctx, uid, record);
  ctx.emit({ type: 'pod', time: new Date().toISOString(), pod: record.name, uid, phase, reason: 'Deleted' });
  return status;
}
