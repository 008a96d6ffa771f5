// Worker threads for container instances. Booting one (a V8 isolate, Node's bootstrap, node:wasi) costs tens
// of milliseconds, so a spare supervisor (supervisor-main.ts) boots a few before it has a pod: a thread learns
// its container from its first message (worker-source.ts), and the first instances of the pod take the booted
// threads. Threads past the pool's size, and restarts, boot on demand.
import { Worker } from 'node:worker_threads';
import { WORKER_SOURCE } from './worker-source';

/** A new container thread, waiting for its assignment. */
export function bootWorker(): Worker {
  // The thread's JavaScript heap holds only the glue: the module's linear memory is not part of it.
  // execArgv: none of the supervisor's flags (from the sources, `--require tsx/cjs` would load tsx again here).
  return new Worker(WORKER_SOURCE, {
    eval: true,
    execArgv: [],
    resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16 },
    stdout: false,
    stderr: false,
  });
}

export class WorkerPool {
  private readonly idle: Worker[] = [];

  constructor(size: number) {
    for (let i = 0; i < size; i++) {
      const w = bootWorker();
      // A booted thread that dies idle (it should not) is simply not handed out.
      const drop = () => this.remove(w);
      w.once('exit', drop);
      w.once('error', drop);
      this.idle.push(w);
    }
  }

  private remove(w: Worker): void {
    const at = this.idle.indexOf(w);
    if (at >= 0) this.idle.splice(at, 1);
  }

  /** A booted thread if one is left, else a new one. */
  take(): Worker {
    const w = this.idle.shift();
    if (!w) return bootWorker();
    w.removeAllListeners('exit');
    w.removeAllListeners('error');
    return w;
  }

  /** Ends the threads nobody took (the pod has fewer containers than the pool). */
  close(): void {
    for (const w of this.idle.splice(0)) void w.terminate();
  }
}
