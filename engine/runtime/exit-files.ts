// conmon's exit files: `<exit-dir>/<container id>` holds the exit code (128 + signal for a signal) once the
// container's init process is gone. Waiting uses fs.watch on the directory with a bounded poll behind it
// (watch events can be coalesced), and gives up when conmon itself is gone without writing one.
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isAlive } from './processes';

export async function readExitCode(exitDir: string, id: string): Promise<number | undefined> {
  try {
    const text = (await readFile(join(exitDir, id), 'utf8')).trim();
    // conmon creates the file and then writes the number: an empty read means "not yet".
    return /^-?\d+$/.test(text) ? Number(text) : undefined;
  } catch {
    return undefined;
  }
}

export interface WaitExitOptions {
  /** conmon's pid: when it is gone and no exit file appeared, the exit code is lost. */
  conmonPid?: number;
  conmonStartTime?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  pollMs?: number;
}

export type ExitResult = { kind: 'exited'; exitCode: number } | { kind: 'lost' } | { kind: 'timeout' } | { kind: 'aborted' };

/** Resolves when the container's exit file holds a code, conmon vanished without one, or the wait ends. */
export function waitForExitFile(exitDir: string, id: string, o: WaitExitOptions = {}): Promise<ExitResult> {
  return new Promise((resolve) => {
    let watcher: FSWatcher | undefined;
    let done = false;
    let checking = false;
    let again = false;
    const timers: NodeJS.Timeout[] = [];
    const finish = (r: ExitResult) => {
      if (done) return;
      done = true;
      watcher?.close();
      for (const t of timers) clearTimeout(t), clearInterval(t);
      o.signal?.removeEventListener('abort', onAbort);
      resolve(r);
    };
    const onAbort = () => finish({ kind: 'aborted' });
    const check = async (): Promise<void> => {
      if (checking) {
        again = true;
        return;
      }
      checking = true;
      do {
        again = false;
        const code = await readExitCode(exitDir, id);
        if (code !== undefined) return finish({ kind: 'exited', exitCode: code });
        if (o.conmonPid && !isAlive(o.conmonPid, o.conmonStartTime)) {
          // conmon writes the file before it exits: read once more to close the race.
          const late = await readExitCode(exitDir, id);
          return finish(late !== undefined ? { kind: 'exited', exitCode: late } : { kind: 'lost' });
        }
      } while (again && !done);
      checking = false;
    };
    if (o.signal?.aborted) return finish({ kind: 'aborted' });
    o.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      watcher = watch(exitDir, (_event, name) => {
        if (!name || name.toString() === id) void check();
      });
      watcher.on('error', () => undefined);
    } catch {
      // No watch (directory gone or inotify exhausted): the poll below still works.
    }
    timers.push(setInterval(() => void check(), o.pollMs ?? 250));
    if (o.timeoutMs !== undefined) timers.push(setTimeout(() => finish({ kind: 'timeout' }), o.timeoutMs));
    void check();
  });
}
