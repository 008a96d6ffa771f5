// The pod's pause, whichever way it was started: directly (engine/runtime/pause-direct.ts, recorded with its
// pid and start time) or as a container under conmon (older records, hosts where the direct pause cannot run).
// run_pod starts it here; the supervisor, stop and teardown ask here whether it lives and stop it here.
import type { PodFacts } from '../../image/bundle';
import {
  containerCgroupPath,
  directPauseUnavailable,
  isAlive,
  markDirectPauseUnavailable,
  prepareDirectPauseCgroup,
  RuntimeError,
  signalProcess,
  startDirectPause,
  waitGone,
} from '../../runtime';
import type { RuntimeContext } from './context';
import { isDirectPause, type ContainerRecord, type DirectPauseRecord, type PauseRecord, type PodRecord } from './state';
import { stopInstance } from './stop-container';

/** Whether run_pod starts the pause directly: the runtime option, else PODSMITH_PAUSE, else where it can run. */
export function wantsDirectPause(ctx: RuntimeContext): boolean {
  const wish = ctx.options.pause ?? (process.env.PODSMITH_PAUSE as 'direct' | 'runtime' | undefined) ?? 'auto';
  if (wish === 'runtime') return false;
  const why = directPauseUnavailable();
  if (wish === 'direct' && why) throw new RuntimeError(`the direct pause cannot run here: ${why}`, 'NOT_INSTALLED');
  return !why;
}

/**
 * Starts the direct pause of a pod in its cgroup, after `beforeStart` (the pod's limits: the pod cgroup exists
 * by then). Resolves undefined when the launch failed for a reason of this host: it is then off for this
 * process, `warnings` says why, and the caller starts the runtime's pause instead.
 */
export async function startPauseDirectly(
  ctx: RuntimeContext,
  o: { uid: string; id: string; rootfs: string; pod: PodFacts; beforeStart: () => Promise<void>; warnings: string[] },
): Promise<DirectPauseRecord | undefined> {
  const cgroupPath = containerCgroupPath(o.uid, o.id);
  const joins = await prepareDirectPauseCgroup(cgroupPath);
  await o.beforeStart();
  try {
    const p = await startDirectPause({ rootfs: o.rootfs, pod: o.pod, cgroupPath, timeoutMs: ctx.containerStartMs() }, joins);
    return { id: o.id, pid: p.pid, startTime: p.startTime, direct: true };
  } catch (err) {
    // A timeout says the host is slow, not that the launcher cannot work: the run fails as a runtime's would.
    if (err instanceof RuntimeError && err.code === 'TIMEOUT') throw err;
    const why = (err as Error).message;
    markDirectPauseUnavailable(why);
    o.warnings.push(`${why}; this engine uses the OCI runtime's pause container from now on`);
    return undefined;
  }
}

/** Whether the pause still runs: the direct pause itself, or the conmon that supervises the pause container. */
export function pauseAlive(p: PauseRecord): boolean {
  return isDirectPause(p) ? isAlive(p.pid, p.startTime) : isAlive(p.conmonPid, p.conmonStartTime);
}

/** Kills the pause and waits until it is gone (a pause container is deleted from the runtime too). */
export async function stopPause(ctx: RuntimeContext, record: PodRecord): Promise<void> {
  const pause = record.pause;
  if (!pause) return;
  if (isDirectPause(pause)) {
    if (isAlive(pause.pid, pause.startTime)) signalProcess(pause.pid, 'SIGKILL');
    await waitGone(pause.pid, 10_000, pause.startTime);
    return;
  }
  const runtime = ctx.oci(record);
  await runtime.kill(pause.id, 'SIGKILL').catch(() => undefined);
  await stopInstance(ctx, record, { name: 'POD', process: pause, stopSignal: 'SIGKILL' } as ContainerRecord, { deadline: Date.now(), preStop: false });
  await runtime.delete(pause.id, true).catch(() => undefined);
}
