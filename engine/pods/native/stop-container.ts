// Stopping one running instance the kubelet way: the preStop hook, then the stop signal (lifecycle or image
// StopSignal, else SIGTERM), then SIGKILL to every process of the container once the deadline passes. The
// deadline is shared with the hook: a hook that takes the whole grace period leaves nothing for the signal.
// A Deadline brought forward while this waits (a forced delete) cuts the wait short at once.
import { waitForExitFile, type ExitResult } from '../../runtime';
import type { RuntimeContext } from './context';
import { Deadline } from './deadline';
import { runHandler, type HandlerTarget } from './handlers';
import { hookFailedMessage, occur } from './occurrences';
import { PodPaths } from './paths';
import type { PodContainer } from './pod-spec';
import type { ContainerRecord, PodRecord } from './state';

export interface StopInstanceOptions {
  /** When to SIGKILL: ms since the epoch, or a Deadline a later request may bring forward. */
  deadline: number | Deadline;
  /** Run the preStop hook first (not when the container is killed by a failed probe... it is, like kubelet). */
  preStop: boolean;
  spec?: PodContainer;
  target?: Omit<HandlerTarget, 'container' | 'id'>;
  /** The Killing event's message; a graceful stop (preStop) says "Stopping container NAME" unless given. */
  killing?: string;
}

/** Stops the instance and waits for conmon to report its end; the exit is not collected here. */
export async function stopInstance(ctx: RuntimeContext, record: PodRecord, c: ContainerRecord, o: StopInstanceOptions): Promise<ExitResult> {
  const p = c.process;
  if (!p) return { kind: 'lost' };
  const deadline = typeof o.deadline === 'number' ? new Deadline(o.deadline) : o.deadline;
  try {
    const runtime = ctx.oci(record);
    const exits = new PodPaths(ctx.home, record.uid).exits;
    const wait = (more: { timeoutMs?: number; signal?: AbortSignal }) => waitForExitFile(exits, p.id, { conmonPid: p.conmonPid, conmonStartTime: p.conmonStartTime, ...more });
    const preStop = o.spec?.lifecycle?.preStop;
    if (o.killing || (o.preStop && c.state.running)) occur(ctx, record, c.name, 'Normal', 'Killing', o.killing ?? `Stopping container ${c.name}`);
    if (o.preStop && preStop && o.target && c.state.running) {
      const remaining = deadline.remainingMs();
      if (remaining > 0) {
        const hook = runHandler({ ...o.target, container: o.spec!, id: p.id }, preStop, remaining, deadline.signal).catch((err: Error) => ({ ok: false, message: err.message }));
        // A hook outliving the deadline (also one brought forward meanwhile) is abandoned; SIGKILL below ends it
        // with the container.
        const ended = await Promise.race([hook.then(() => 'hook' as const), wait({ signal: deadline.signal })]);
        const failed = (why: string) => occur(ctx, record, c.name, 'Warning', 'FailedPreStopHook', hookFailedMessage('PreStop', c.name, preStop, why));
        if (ended === 'hook') {
          const r = await hook;
          if (!r.ok) failed(r.message);
        } else if (ended.kind === 'aborted') failed(`it did not complete within the grace period (${Math.round(remaining / 1000)} s)`);
        // A container that ended during its hook (the hook stopped it) is no failure of the hook.
        if (ended !== 'hook' && ended.kind === 'exited') return ended;
      }
    }
    await runtime.kill(p.id, c.stopSignal || 'SIGTERM').catch(() => undefined);
    const graceful = await wait({ signal: deadline.signal });
    if (graceful.kind !== 'aborted') return graceful;
    await runtime.kill(p.id, 'SIGKILL', true).catch(() => runtime.kill(p.id, 'SIGKILL').catch(() => undefined));
    const killed = await wait({ timeoutMs: 10_000 });
    return killed.kind === 'timeout' ? { kind: 'lost' } : killed;
  } finally {
    if (deadline !== o.deadline) deadline.dispose();
  }
}
