// Turning an instance's end into a terminated state: the exit code from conmon's exit file (or "unknown"
// when conmon vanished without writing one), OOMKilled when conmon saw an OOM event or the container's
// cgroup counted an OOM kill, then the OCI container is deleted and its bundle dropped (logs stay).
import { access, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { containerCgroupPath, oomKillCount, readExitCode, type ExitResult } from '../../runtime';
import type { RuntimeContext } from './context';
import { PodPaths } from './paths';
import type { ContainerRecord, PodRecord } from './state';

async function sawOom(record: PodRecord, c: ContainerRecord, bundle: string): Promise<boolean> {
  if (await access(join(bundle, 'p', 'oom')).then(() => true, () => false)) return true;
  return ((await oomKillCount(containerCgroupPath(record.uid, c.process!.id))) ?? 0) > 0;
}

/** Records the end of the container's current instance; no-op when it has none. The record is not saved. */
export async function collectExit(ctx: RuntimeContext, record: PodRecord, c: ContainerRecord, result?: ExitResult): Promise<void> {
  const p = c.process;
  if (!p) return;
  const paths = new PodPaths(ctx.home, record.uid);
  const bundle = paths.bundle(c.name, c.restartCount);
  const exitFile = join(paths.exits, p.id);
  let exitCode = result?.kind === 'exited' ? result.exitCode : await readExitCode(paths.exits, p.id);
  const finishedAt = (await stat(exitFile).catch(() => undefined))?.mtime.toISOString() ?? new Date().toISOString();
  let reason: string;
  let message: string | undefined;
  if (exitCode === undefined) {
    // What the kubelet reports for a container whose end nobody saw.
    exitCode = 137;
    reason = 'ContainerStatusUnknown';
    message = 'The container could not be located when the pod was terminated';
  } else if (await sawOom(record, c, bundle)) reason = 'OOMKilled';
  else reason = exitCode === 0 ? 'Completed' : 'Error';
  // The cgroup (and with it the OOM counter) goes with the delete, so it comes last.
  await ctx.oci(record).delete(p.id, true).catch(() => undefined);
  await Promise.all([rm(exitFile, { force: true }), rm(bundle, { recursive: true, force: true })]);
  c.state = {
    terminated: {
      exitCode,
      reason,
      ...(message ? { message } : {}),
      ...(c.state.running ? { startedAt: c.state.running.startedAt } : {}),
      finishedAt,
    },
  };
  c.lastId = p.id;
  delete c.process;
  c.ready = false;
  c.started = false;
}
