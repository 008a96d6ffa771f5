// The supervisor of one wasm pod, in a process of its own (supervisor-main.ts): every module is compiled and
// instantiated before anything starts (any failure: nothing ran, run_pod fails), init containers run to
// completion one by one, then the app containers start together. Exits are turned into terminated states and
// restarts follow restartPolicy with the kubelet's back-off (engine/pods/native/backoff.ts); SIGTERM stops
// the pod (stop.json gives the grace period; a module cannot see a signal, so it gets the grace period to end
// by itself, then its thread is terminated). Every change is written to status.json atomically: that file
// is how the daemon, or a daemon started later, learns the truth.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { backOffAfterStartError, restartDelay } from '../native/backoff';
import { graceSeconds } from '../native/spec-of';
import { uidPrefix } from '../native/paths';
import { procStat } from '../../runtime/processes';
import { CpuAccounting } from './cpu-time';
import { Instance, type InstanceExit } from './instance';
import type { SupervisorPaths } from './paths';
import { readJsonSync, writeJsonSync, type ContainerPlan, type SupervisorPhase, type SupervisorState, type WasmContainerRecord, type WasmPodRecord } from './records';
import { asNativeRecord, initialContainers, refreshStateConditions } from './status';
import { fitStatusString } from './status-check';
import { trace } from './trace';
import { wasmApi, type CompiledModule } from './wasm-api';
import type { WorkerPool } from './worker-pool';
import { podPhase } from '../native/status';

export class StartupFailure extends Error {
  constructor(
    message: string,
    readonly code: 'START_FAILED' | 'INIT_FAILED',
    readonly container?: string,
  ) {
    super(message);
  }
}

export class PodSupervisor {
  readonly state: SupervisorState;
  private readonly modules = new Map<string, CompiledModule>();
  private readonly live = new Map<string, Instance>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly cpu: CpuAccounting;
  /** pod.json's plans with the paths this process sees: the module files and preopens as mounted in the sandbox. */
  private readonly plans: ContainerPlan[];
  private stopRequested = false;
  private finished = false;
  /** Resolves with the process exit code once the pod is over (stopped, done, or failed to start). */
  readonly done: Promise<number>;
  private resolveDone!: (code: number) => void;

  constructor(
    private readonly paths: SupervisorPaths,
    private readonly record: WasmPodRecord,
    /** Threads booted before the pod was known (a spare supervisor); the first instances take them. */
    private readonly pool?: WorkerPool,
  ) {
    this.done = new Promise((r) => (this.resolveDone = r));
    this.plans = record.plans.map((p, ci) => ({ ...p, module: paths.module(p.name), preopens: p.preopens.map((o, pi) => ({ ...o, hostPath: paths.preopen(ci, pi) })) }));
    const self = procStat(process.pid);
    this.state = {
      version: 1,
      uid: record.uid,
      supervisor: { pid: process.pid, ...(self ? { startTime: self.startTime } : {}) },
      phase: 'starting',
      startTime: new Date().toISOString(),
      containers: initialContainers(record.pod, record.plans),
      conditions: [],
      timings: {},
      updatedAt: new Date().toISOString(),
    };
    this.cpu = new CpuAccounting((name, exit) => void this.live.get(name)?.terminate(exit));
  }

  private container(name: string): WasmContainerRecord {
    return this.state.containers.find((c) => c.name === name)!;
  }

  private plan(name: string): ContainerPlan {
    return this.plans.find((p) => p.name === name)!;
  }

  save(): void {
    this.state.updatedAt = new Date().toISOString();
    refreshStateConditions(this.record, this.state);
    writeJsonSync(this.paths.statusFile, this.state);
  }

  private setPhase(phase: SupervisorPhase): void {
    this.state.phase = phase;
  }

  /** Compiles and instantiates every module, runs init containers, starts the app containers. */
  async run(): Promise<void> {
    this.save();
    trace('starting');
    try {
      const prepared = await this.prepareAll();
      trace('instantiated');
      if (this.stopRequested) {
        for (const inst of prepared.values()) void inst.terminate({ exitCode: 137, reason: 'Error' });
        return this.finish('stopped');
      }
      this.setPhase('initializing');
      const inits = this.state.containers.filter((x) => x.kind !== 'app');
      // Without init containers the phase is over at once: no need to write it.
      if (inits.length > 0) this.save();
      for (const c of inits) {
        const inst = prepared.get(c.name)!;
        prepared.delete(c.name);
        this.launch(c, inst);
        if (c.kind === 'sidecar') continue;
        const exit = await inst.exited;
        if (this.stopRequested) break;
        if (exit.exitCode !== 0) {
          for (const other of prepared.values()) void other.terminate({ exitCode: 137, reason: 'Error' });
          throw new StartupFailure(`init container "${c.name}" failed with exit code ${exit.exitCode} (${exit.reason}${exit.message ? `: ${exit.message}` : ''})`, 'INIT_FAILED', c.name);
        }
      }
      if (this.stopRequested) {
        for (const inst of prepared.values()) void inst.terminate({ exitCode: 137, reason: 'Error' });
        return;
      }
      const apps = this.state.containers.filter((x) => x.kind === 'app');
      // Logs first: the first module to run would otherwise compete for the CPU with the others' set-up.
      for (const c of apps) prepared.get(c.name)!.openLog();
      for (const c of apps) this.launch(c, prepared.get(c.name)!, false);
      this.setPhase('running');
      this.save();
      trace('running');
    } catch (err) {
      const f = err instanceof StartupFailure ? err : new StartupFailure((err as Error).message, 'START_FAILED');
      this.state.failure = { code: f.code, message: fitStatusString(f.message), ...(f.container ? { container: f.container } : {}) };
      await this.killAll();
      this.finish('failed');
    }
  }

  /**
   * Compiles every container's module, each distinct one once (containers of one image share it; a compiled
   * module can be posted to any number of threads). Kept for restarts. Settles per container, so a module that
   * does not compile names its container.
   */
  private compileAll(): Map<string, Promise<CompiledModule>> {
    const byContent = new Map<string, Promise<{ module: CompiledModule; ms: number }>>();
    const out = new Map<string, Promise<CompiledModule>>();
    for (const p of this.plans) {
      const compiled = readFile(p.module).then((bytes) => {
        const key = createHash('sha256').update(bytes).digest('hex');
        let c = byContent.get(key);
        if (!c) {
          const began = performance.now();
          c = wasmApi.compile(bytes).then((module) => ({ module, ms: performance.now() - began }));
          byContent.set(key, c);
        }
        return c;
      });
      out.set(
        p.name,
        compiled.then(
          ({ module, ms }) => {
            trace(`compiled ${p.name}`);
            this.modules.set(p.name, module);
            this.state.timings![p.name] = { compileMs: ms, instantiateMs: 0 };
            return module;
          },
          (err: Error) => {
            throw new StartupFailure(`container "${p.name}": the module does not compile: ${err.message}`, 'START_FAILED', p.name);
          },
        ),
      );
    }
    return out;
  }

  /** One compiled and instantiated (not started) instance per container; all or nothing. */
  private async prepareAll(): Promise<Map<string, Instance>> {
    const out = new Map<string, Instance>();
    const modules = this.compileAll();
    const results = await Promise.allSettled(
      this.plans.map(async (p) => {
        try {
          // Each thread boots (unless booted already) while its module compiles.
          const inst = await Instance.prepare({
            plan: p,
            module: modules.get(p.name)!,
            logDir: this.paths.logDir(p.name),
            restartCount: 0,
            ...(this.record.logRotation ? { rotation: this.record.logRotation } : {}),
            ...(this.pool ? { worker: this.pool.take() } : {}),
          });
          out.set(p.name, inst);
          this.state.timings![p.name].instantiateMs = inst.instantiateMs;
        } catch (err) {
          if (err instanceof StartupFailure) throw err;
          throw new StartupFailure(`container "${p.name}": the module cannot be instantiated: ${(err as Error).message}`, 'START_FAILED', p.name);
        }
      }),
    );
    this.pool?.close();
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await Promise.all([...out.values()].map((i) => i.terminate({ exitCode: 137, reason: 'Error' })));
      throw failed.reason;
    }
    return out;
  }

  private prepare(plan: ContainerPlan, restartCount: number): Promise<Instance> {
    return Instance.prepare({ plan, module: this.modules.get(plan.name)!, logDir: this.paths.logDir(plan.name), restartCount, ...(this.record.logRotation ? { rotation: this.record.logRotation } : {}) });
  }

  /** Starts a prepared instance as the container's current one. */
  private launch(c: WasmContainerRecord, inst: Instance, save = true): void {
    this.live.set(c.name, inst);
    inst.start();
    c.instance = `${uidPrefix(this.record.uid)}-${c.name}-${c.restartCount}`;
    c.state = { running: { startedAt: inst.startedAt! } };
    c.started = true;
    c.ready = c.kind !== 'init';
    delete c.backoff;
    if (inst.plan.metering === 'cpu-time' && inst.tid) this.cpu.watch(c.name, inst.tid, inst.plan.cpuSeconds ?? 1);
    void inst.exited.then((exit) => this.exited(c.name, inst, exit));
    if (save) this.save();
  }

  private exited(name: string, inst: Instance, exit: InstanceExit): void {
    this.cpu.unwatch(name);
    if (this.live.get(name) !== inst) return;
    this.live.delete(name);
    const c = this.container(name);
    c.state = {
      terminated: {
        exitCode: exit.exitCode,
        ...(exit.signal ? { signal: exit.signal } : {}),
        reason: fitStatusString(exit.reason),
        ...(exit.message ? { message: fitStatusString(exit.message) } : {}),
        ...(inst.startedAt ? { startedAt: inst.startedAt } : {}),
        finishedAt: exit.finishedAt,
      },
    };
    if (exit.fuelLeft !== undefined) c.fuelLeft = exit.fuelLeft;
    c.lastId = c.instance;
    delete c.instance;
    c.ready = false;
    c.started = false;
    if (this.stopRequested || this.finished || this.state.phase === 'starting' || this.state.phase === 'failed') return this.save();
    if (c.kind === 'init' && this.state.phase === 'initializing') return this.save();
    if (this.shouldRestart(c)) {
      const { delaySeconds, state } = restartDelay(c.backoffState, new Date(exit.finishedAt));
      c.backoffState = state;
      c.lastState = structuredClone(c.state);
      if (delaySeconds > 0) {
        const until = new Date(Date.parse(exit.finishedAt) + delaySeconds * 1000);
        c.backoff = { seconds: delaySeconds, until: until.toISOString() };
        c.state = { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${delaySeconds}s restarting failed container=${c.name} pod=${this.record.name}_${this.record.namespace}(${this.record.uid})` } };
      }
      this.save();
      this.scheduleRestart(name, delaySeconds * 1000);
      return;
    }
    this.save();
    void this.finishIfDone();
  }

  private shouldRestart(c: WasmContainerRecord): boolean {
    if (c.kind === 'sidecar') return true;
    if (c.kind === 'init') return false;
    const policy = this.record.pod.spec.restartPolicy ?? 'Always';
    return policy === 'Always' || (policy === 'OnFailure' && c.state.terminated?.exitCode !== 0);
  }

  private scheduleRestart(name: string, delayMs: number): void {
    const t = setTimeout(() => {
      this.timers.delete(name);
      void this.restart(name);
    }, Math.max(0, delayMs));
    this.timers.set(name, t);
  }

  private async restart(name: string): Promise<void> {
    if (this.stopRequested || this.finished) return;
    const c = this.container(name);
    c.restartCount++;
    let inst: Instance;
    try {
      inst = await this.prepare(this.plan(name), c.restartCount);
    } catch (err) {
      const wait = backOffAfterStartError(c, (err as Error).message, `${this.record.name}_${this.record.namespace}(${this.record.uid})`, name);
      this.save();
      this.scheduleRestart(name, wait * 1000);
      return;
    }
    if (this.stopRequested || this.finished) {
      void inst.terminate({ exitCode: 137, reason: 'Error' });
      return;
    }
    this.launch(c, inst);
  }

  /** App containers are done for good: sidecars are stopped and the pod ends (Succeeded or Failed). */
  private async finishIfDone(): Promise<void> {
    if (this.timers.size > 0 || this.state.phase !== 'running') return;
    const phase = podPhase(asNativeRecord(this.record, { ...this.state, phase: 'stopped' }));
    const appsLive = this.state.containers.some((c) => c.kind === 'app' && (this.live.has(c.name) || this.timers.has(c.name)));
    if (appsLive || (phase !== 'Succeeded' && phase !== 'Failed')) return;
    this.setPhase('stopping');
    await this.stopLive(Date.now() + graceSeconds(asNativeRecord(this.record, this.state)) * 1000);
    this.finish('stopped');
  }

  /** SIGTERM: stop everything within the grace period (stop.json's, else the pod's). */
  async stop(): Promise<void> {
    if (this.stopRequested || this.finished) return;
    this.stopRequested = true;
    const asked = readJsonSync<{ gracePeriodSeconds?: number }>(this.paths.stopFile);
    const grace = graceSeconds(asNativeRecord(this.record, this.state), asked?.gracePeriodSeconds);
    if (this.state.phase === 'starting') return; // run() sees the request once instances exist
    this.setPhase('stopping');
    for (const [name, t] of this.timers) {
      clearTimeout(t);
      this.timers.delete(name);
    }
    for (const c of this.state.containers) {
      // A container waiting out its back-off will not be restarted now: show how it last ended.
      if (c.state.waiting && c.lastState.terminated) c.state = c.lastState;
      delete c.backoff;
    }
    this.save();
    await this.stopLive(Date.now() + grace * 1000);
    this.state.reason = 'Stopped';
    this.state.message = 'stopped on request';
    this.finish('stopped');
  }

  /** App containers together, then sidecars last-started first, then any init container. */
  private async stopLive(deadline: number): Promise<void> {
    const stopOne = async (name: string) => {
      const inst = this.live.get(name);
      if (!inst) return;
      const remaining = deadline - Date.now();
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), Math.max(0, remaining))));
      const r = await Promise.race([inst.exited, timedOut]);
      clearTimeout(timer);
      if (r !== 'timeout') return;
      await inst.terminate({
        exitCode: 137,
        signal: 9,
        reason: 'Error',
        message: remaining > 0 ? 'terminated: the module did not end within the grace period (a WASI module cannot receive SIGTERM)' : 'terminated with no grace period',
      });
    };
    const byKind = (kind: string) => this.state.containers.filter((c) => c.kind === kind).map((c) => c.name);
    await Promise.all(byKind('app').map(stopOne));
    for (const name of byKind('sidecar').reverse()) await stopOne(name);
    await Promise.all(byKind('init').map(stopOne));
  }

  private async killAll(): Promise<void> {
    await Promise.all([...this.live.values()].map((i) => i.terminate({ exitCode: 137, signal: 9, reason: 'Error', message: 'the pod failed to start' })));
  }

  private finish(phase: 'stopped' | 'failed'): void {
    if (this.finished) return;
    this.finished = true;
    this.cpu.close();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.setPhase(phase);
    this.save();
    this.resolveDone(phase === 'failed' ? 1 : 0);
  }
}
