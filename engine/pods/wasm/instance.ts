// One instance of a container inside the supervisor: a worker thread that instantiates the module (prepare),
// runs `_start` when told (start), and whose stdout/stderr become the instance's CRI log. It ends by itself
// (exit code, trap, fuel, memory) or by terminate(), which ends the thread whatever the module is doing.
import type { Worker } from 'node:worker_threads';
import { instanceLogPath, LogRotator, DEFAULT_ROTATION, type RotationPolicy } from '../../logs';
import { CriLogWriter } from './log-writer';
import type { ContainerPlan } from './records';
import { trace } from './trace';
import { bootWorker } from './worker-pool';
import type { WorkerAssignment, WorkerInput, WorkerMessage } from './worker-source';
import type { CompiledModule } from './wasm-api';

export interface InstanceExit {
  exitCode: number;
  signal?: number;
  reason: string;
  message?: string;
  finishedAt: string;
  fuelLeft?: string;
}

export interface PrepareOptions {
  plan: ContainerPlan;
  /** The module, or its compilation: the thread boots meanwhile (tens of milliseconds each). */
  module: CompiledModule | Promise<CompiledModule>;
  /** The container's log directory. */
  logDir: string;
  restartCount: number;
  rotation?: RotationPolicy;
  /** A thread booted beforehand (worker-pool.ts); else one is booted now. */
  worker?: Worker;
}

export class Instance {
  readonly exited: Promise<InstanceExit>;
  private settle!: (e: InstanceExit) => void;
  private ended = false;
  private exitInfo: Omit<InstanceExit, 'finishedAt'> | undefined;
  /** Set once terminate() was called: what the thread reports after that is the echo of being stopped. */
  private terminating = false;
  private log: CriLogWriter | undefined;
  private rotator: LogRotator | undefined;
  startedAt: string | undefined;
  instantiateMs = 0;

  private constructor(
    readonly plan: ContainerPlan,
    private readonly worker: Worker,
    private readonly stopFlag: Int32Array,
    readonly tid: number | undefined,
    private readonly logPath: string,
    private readonly rotation: RotationPolicy,
  ) {
    this.exited = new Promise((resolve) => (this.settle = resolve));
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'out') {
        this.log?.write(m.fd === 1 ? 'stdout' : 'stderr', m.data);
        // Written: the module may post more (worker-source.ts, back-pressure).
        Atomics.sub(stopFlag, 1, m.data.byteLength);
        Atomics.notify(stopFlag, 1);
      } else if (m.type === 'exit' && !this.terminating)
        this.exitInfo = {
          exitCode: m.exitCode,
          ...(m.signal ? { signal: m.signal } : {}),
          reason: m.reason,
          ...(m.message ? { message: m.message } : {}),
          ...(m.fuelLeft ? { fuelLeft: m.fuelLeft } : {}),
        };
    });
    worker.on('error', (err) => {
      this.exitInfo ??= { exitCode: 134, reason: 'Error', message: `the module's thread failed: ${err.message}` };
    });
    worker.on('exit', () => this.finish(this.exitInfo ?? { exitCode: 137, signal: 9, reason: 'Error', message: 'the module was terminated' }));
  }

  /** Instantiates the module in a new worker; rejects with the reason (link error, memory, ...) when it cannot. */
  static prepare(o: PrepareOptions): Promise<Instance> {
    const stop = new Int32Array(new SharedArrayBuffer(8));
    const input: WorkerInput = {
      stop,
      args: o.plan.argv,
      env: o.plan.env,
      preopens: o.plan.preopens,
      metered: o.plan.metering === 'fuel',
      fuel: String(BigInt(Math.floor(o.plan.fuel))),
      memoryLimitPages: o.plan.memoryLimitPages,
    };
    const began = performance.now();
    const worker = o.worker ?? bootWorker();
    return new Promise<Instance>((resolve, reject) => {
      Promise.resolve(o.module).then(
        (module) => worker.postMessage({ input, module } satisfies WorkerAssignment),
        (err: Error) => {
          cleanup();
          void worker.terminate();
          reject(err);
        },
      );
      const onMessage = (m: WorkerMessage) => {
        if (m.type === 'ready') {
          trace(`instantiated ${o.plan.name}`);
          cleanup();
          const inst = new Instance(o.plan, worker, stop, m.tid, instanceLogPath(o.logDir, o.restartCount), o.rotation ?? DEFAULT_ROTATION);
          inst.instantiateMs = performance.now() - began;
          resolve(inst);
        } else if (m.type === 'failed') {
          cleanup();
          void worker.terminate();
          reject(new Error(m.message));
        }
      };
      const onError = (err: Error) => {
        cleanup();
        void worker.terminate();
        reject(err);
      };
      const onExit = () => {
        cleanup();
        reject(new Error('the module thread ended before the module was instantiated'));
      };
      const cleanup = () => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
    });
  }

  /** Opens the instance's log and starts its rotation (start() does it if not done before). */
  openLog(): void {
    if (this.log) return;
    const log = (this.log = new CriLogWriter(this.logPath));
    // Rotation in this process: the writer is here, so a reopen is a direct call (nothing can be lost).
    this.rotator = new LogRotator(this.logPath, () => (log.open ? { request: () => log.reopen(), close: () => undefined } : undefined), this.rotation);
    void this.rotator.start();
  }

  /** Opens the log unless open, and runs `_start`. */
  start(): void {
    this.openLog();
    this.startedAt = new Date().toISOString();
    this.worker.postMessage('start');
  }

  /** Ends the instance now; `exit` is what its terminated state will say (unless it ended by itself first). */
  terminate(exit: Omit<InstanceExit, 'finishedAt'>): Promise<InstanceExit> {
    if (!this.ended) {
      this.exitInfo ??= exit;
      this.terminating = true;
      // Wakes a module sleeping in poll_oneoff or waiting for its output to be written: a thread blocked in a
      // native call cannot be terminated.
      Atomics.store(this.stopFlag, 0, 1);
      Atomics.notify(this.stopFlag, 0);
      Atomics.notify(this.stopFlag, 1);
      void this.worker.terminate();
    }
    return this.exited;
  }

  private finish(exit: Omit<InstanceExit, 'finishedAt'>): void {
    if (this.ended) return;
    this.ended = true;
    // Messages the thread posted before it ended have been delivered by now (its 'exit' comes last).
    this.log?.close();
    const rotator = this.rotator;
    void rotator?.stop();
    this.settle({ ...exit, finishedAt: new Date().toISOString() });
  }
}
