// Waits for "something may have changed in this directory": an fs.watch event (appends, renames and creations of
// the files in it all show up as directory events on Linux) or, because fs.watch can miss events and cannot
// watch a directory that does not exist yet, a bounded interval. One watcher lives as long as the waiter, so
// events between two waits are not lost (they leave the waiter dirty).
import { watch, type FSWatcher } from 'node:fs';

export class ChangeWaiter {
  private watcher: FSWatcher | undefined;
  private dirty = false;
  private wake: (() => void) | undefined;
  private closed = false;

  constructor(
    private dir: string,
    private readonly intervalMs: number,
    /** Which events wake a wait (default: all). */
    private readonly relevant: (eventType: string, filename: string | null) => boolean = () => true,
    /** Called on every event, synchronously, before any wait wakes (even when nobody waits). */
    private readonly onEvent?: (eventType: string, filename: string | null) => void,
  ) {
    this.startWatching();
  }

  /** Watches another directory from now on (the container's next instance may log elsewhere). */
  retarget(dir: string): void {
    if (dir === this.dir) return;
    this.dir = dir;
    this.stopWatching();
    this.startWatching();
    this.dirty = true;
  }

  /** Resolves on the next change, after the interval, or on abort, whichever comes first. */
  wait(signal?: AbortSignal): Promise<void> {
    if (this.closed || signal?.aborted) return Promise.resolve();
    if (!this.watcher) this.startWatching(); // the directory may exist by now
    if (this.dirty) {
      this.dirty = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.wake = undefined;
        this.dirty = false;
        resolve();
      };
      const timer = setTimeout(done, this.intervalMs);
      signal?.addEventListener('abort', done, { once: true });
      this.wake = done;
    });
  }

  close(): void {
    this.closed = true;
    this.stopWatching();
    this.wake?.();
  }

  private startWatching(): void {
    if (this.closed) return;
    try {
      const w = watch(this.dir, { persistent: true });
      w.on('change', (eventType: string, filename: string | Buffer | null) => {
        const name = filename === null ? null : filename.toString();
        this.onEvent?.(eventType, name);
        if (!this.relevant(eventType, name)) return;
        this.dirty = true;
        this.wake?.();
      });
      // An error (the directory was removed) leaves polling in charge until a later wait re-creates the watcher.
      w.on('error', () => {
        if (this.watcher === w) this.stopWatching();
      });
      this.watcher = w;
    } catch {
      this.watcher = undefined;
    }
  }

  private stopWatching(): void {
    const w = this.watcher;
    this.watcher = undefined;
    if (!w) return;
    w.removeAllListeners('change');
    w.on('error', () => undefined);
    w.close();
  }
}
