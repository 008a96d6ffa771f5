// One log chain per container instance, named by restart count as the kubelet does:
//   <containerLogDir>/<restartCount>.log   (plus its rotated files, see log-files.ts)
// The highest number is the current (or last) instance; the one before it is what `logs --previous` shows.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { isMissing } from './log-files';

const INSTANCE_FILE = /^(\d{1,9})\.log(?:\.\d{1,6}|\.tmp)?$/;

/** The live log path of instance `restartCount` (0 for the first run). Pass it to conmon. */
export function instanceLogPath(containerLogDir: string, restartCount: number): string {
  if (!Number.isSafeInteger(restartCount) || restartCount < 0) throw new RangeError(`bad restart count ${restartCount}`);
  return join(containerLogDir, `${restartCount}.log`);
}

/** Restart counts that have a log, ascending. */
export async function listInstances(containerLogDir: string): Promise<number[]> {
  let names: string[];
  try {
    names = await fsp.readdir(containerLogDir);
  } catch (err) {
    if (isMissing(err)) return [];
    throw err;
  }
  const counts = new Set<number>();
  for (const name of names) {
    const m = INSTANCE_FILE.exec(name);
    if (m) counts.add(Number(m[1]));
  }
  return [...counts].sort((a, b) => a - b);
}

/** The newest instance's log path, if any instance has logged. */
export async function currentLogPath(containerLogDir: string): Promise<string | undefined> {
  const all = await listInstances(containerLogDir);
  return all.length ? instanceLogPath(containerLogDir, all[all.length - 1]) : undefined;
}

/**
 * The log of the instance before the newest one. The runtime decides when that is what `--previous` means
 * (the newest instance is running or waiting to restart); when the newest instance is itself the terminated
 * one, pass its restart count instead.
 */
export async function previousLogPath(containerLogDir: string): Promise<string | undefined> {
  const all = await listInstances(containerLogDir);
  return all.length >= 2 ? instanceLogPath(containerLogDir, all[all.length - 2]) : undefined;
}

/** Deletes the logs of all but the newest `keep` instances (their rotated files too). */
export async function pruneInstances(containerLogDir: string, keep = 2): Promise<void> {
  const all = await listInstances(containerLogDir);
  const drop = new Set(all.slice(0, Math.max(0, all.length - Math.max(1, keep))));
  if (!drop.size) return;
  for (const name of await fsp.readdir(containerLogDir)) {
    const m = INSTANCE_FILE.exec(name);
    if (m && drop.has(Number(m[1]))) await fsp.rm(join(containerLogDir, name), { force: true });
  }
}
