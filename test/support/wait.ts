// Waits on events, for tests: a file appearing (fs.watch), a process exiting. Each has a deadline, so a wait
// for something that never comes fails with a message instead of hanging the run.
import type { ChildProcess } from 'node:child_process';
import { existsSync, watch } from 'node:fs';
import { basename, dirname } from 'node:path';

/** Resolves once `path` exists: fs.watch on its directory (which must exist), checked again after subscribing. */
export function fileAppears(path: string, timeoutMs = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const watcher = watch(dirname(path));
    const done = (err?: Error): void => {
      clearTimeout(timer);
      watcher.close();
      if (err) reject(err);
      else resolve();
    };
    const timer = setTimeout(() => done(new Error(`timed out waiting for ${path} to appear`)), timeoutMs);
    watcher.on('change', (_type, name) => {
      if ((name === null || name.toString() === basename(path)) && existsSync(path)) done();
    });
    watcher.on('error', (err) => done(err));
    if (existsSync(path)) done(); // created before the watcher started
  });
}

/** Resolves when `child` has exited (at once if it already has), with its code or signal. */
export function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** Kills `child` (SIGKILL) unless it has exited, and waits until it has: for finally blocks and after hooks. */
export async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = exitOf(child);
  child.kill('SIGKILL');
  await exited;
}
