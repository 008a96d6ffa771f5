// The pod inside the guest, as the wasm supervisor runs a wasm pod: every container's root filesystem and
// bundle are made before anything starts (any failure: nothing ran, run_pod fails), init containers run to
// completion one by one, native sidecars start and keep running, then the app containers start together.
// Exits become terminated states; restarts follow restartPolicy with the kubelet's back-off; probes and
// hooks run here, in the guest, so a pod keeps its health checks while no daemon is connected. Every change
// is written to status.json on the out share: that file is how the host (now or after a restart) learns the
// truth, and a nudge event tells a connected host to read it.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backOffAfterStartError, restartDelay } from '../../native/backoff';
import type { Handler } from '../../native/handlers';
import { ContainerProbes } from '../../native/probes';
import type { PodContainer } from '../../native/pod-spec';
import { MAX_GRACE_SECONDS } from '../../native/spec-of';
import { GUEST_OUT_SHARE, STATUS_FILE } from '../protocol/guest-paths';
import type { EventMessage, GuestContainerPlan, GuestContainerStatus, GuestFailure, GuestPhase, GuestPodPlan, GuestState } from '../protocol/messages';
import { RequestError } from './channel';
import { ContainerInstance, type InstanceExit } from './container';
import { runGuestHandler } from './handlers';
import { PidNamespaceHolder } from './pid-holder';

const DEFAULT_GRACE_SECONDS = 30;
/** A postStart hook that has not finished by then counts as failed (the kubelet waits as long as it runs). */
const POST_START_TIMEOUT_MS = 5 * 60_000;

export class GuestPod {
  readonly state: GuestState;
  private readonly live = new Map<string, ContainerInstance>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly probes = new Map<string, ContainerProbes>();
  /** The shared PID namespace's holder (shareProcessNamespace). */
  private holder: PidNamespaceHolder | undefined;
  private stopRequested = false;
  private finished = false;
  private readonly done: Promise<void>;
  private resolveDone!: () => void;

  constructor(
    readonly plan: GuestPodPlan,
    private readonly notify: (e: EventMessage) => void,
  ) {
    this.done = new Promise((r) => (this.resolveDone = r));
    this.state = {
      version: 1,
      uid: plan.uid,
      seq: 0,
      phase: 'starting',
      startTime: new Date().toISOString(),
      containers: plan.containers.map((c) => ({
        name: c.name,
        kind: c.kind,
        restartCount: 0,
        state: { waiting: { reason: c.kind === 'app' ? 'ContainerCreating' : 'PodInitializing' } },
        lastState: {},
        ready: false,
        started: false,
      })),
      updatedAt: new Date().toISOString(),
    };
  }

  private get label(): string {
    return `${this.plan.name}_${this.plan.namespace}(${this.plan.uid})`;
  }

  private status(name: string): GuestContainerStatus {
    return this.state.containers.find((c) => c.name === name)!;
  }

  private planOf(name: string): GuestContainerPlan {
    return this.plan.containers.find((c) => c.name === name)!;
  }

  private spec(name: string): PodContainer {
    const s = this.plan.pod.spec;
    return [...(s.initContainers ?? []), ...s.containers].find((c) => c.name === name)!;
  }

  graceSeconds(requested?: number): number {
    return Math.min(Math.max(0, requested ?? this.plan.pod.spec.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS), MAX_GRACE_SECONDS);
  }

  save(): void {
    this.state.seq++;
    this.state.updatedAt = new Date().toISOString();
    const file = join(GUEST_OUT_SHARE, STATUS_FILE);
    const temp = `${file}.tmp`;
    try {
      mkdirSync(GUEST_OUT_SHARE, { recursive: true });
      writeFileSync(temp, JSON.stringify(this.state) + '\n');
      renameSync(temp, file);
    } catch (err) {
      process.stderr.write(`podsmith-agent: cannot write the status: ${(err as Error).message}\n`);
    }
    this.notify({ event: 'state', seq: this.state.seq, phase: this.state.phase });
  }

  private occur(severity: 'Normal' | 'Warning', reason: string, message: string, container?: string): void {
    this.notify({ event: 'occurrence', severity, reason, message, ...(container ? { container } : {}) });
  }

  private setPhase(phase: GuestPhase): void {
    this.state.phase = phase;
  }

  /** Prepares every container, runs init containers and sidecars, starts the apps. Throws RequestError on failure. */
  async run(): Promise<void> {
    this.save();
    try {
      if (this.plan.pod.spec.shareProcessNamespace) this.holder = await PidNamespaceHolder.start();
      const prepared = new Map<string, ContainerInstance>();
      const results = await Promise.allSettled(
        this.plan.containers.map(async (p) => {
          const inst = new ContainerInstance(p, 0, this.plan.uid, this.plan.logRotation);
          prepared.set(p.name, inst);
          await inst.prepare({ pidNamespace: this.holder?.namespacePath }).catch((err: Error) => {
            throw new RequestError(`container "${p.name}": cannot be prepared: ${err.message}`, 'START_FAILED', { container: p.name });
          });
        }),
      );
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) {
        await Promise.all([...prepared.values()].map((i) => i.cleanup()));
        throw failed.reason;
      }
      this.setPhase('initializing');
      for (const c of this.state.containers.filter((x) => x.kind !== 'app')) {
        if (this.stopRequested) break;
        const inst = prepared.get(c.name)!;
        prepared.delete(c.name);
        await this.launch(c, inst, true);
        if (c.kind === 'sidecar') continue;
        const exit = await inst.exited;
        if (exit.exitCode !== 0) {
          const failure: GuestFailure = {
            code: 'INIT_FAILED',
            container: c.name,
            reason: exit.reason,
            exitCode: exit.exitCode,
            message: `init container "${c.name}" failed with exit code ${exit.exitCode} (${exit.reason}${exit.message ? `: ${exit.message}` : ''})`,
          };
          for (const other of prepared.values()) await other.cleanup();
          throw new RequestError(failure.message, 'INIT_FAILED', { container: c.name, failure });
        }
      }
      if (this.stopRequested) {
        for (const other of prepared.values()) await other.cleanup();
        return;
      }
      const apps = this.state.containers.filter((x) => x.kind === 'app');
      const started = await Promise.allSettled(apps.map((c) => this.launch(c, prepared.get(c.name)!, true)));
      const bad = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (bad) throw bad.reason;
      // A container that ran and exited already is fine (its restart policy applies); one runc could not start is not.
      const cannot = apps.find((c) => c.state.terminated?.reason === 'StartError' || (c.state.waiting && c.lastState.terminated?.reason === 'StartError'));
      if (cannot) {
        const t = cannot.state.terminated ?? cannot.lastState.terminated;
        throw new RequestError(`container "${cannot.name}" could not start: ${t?.message ?? 'unknown reason'}`, 'START_FAILED', {
          container: cannot.name,
          failure: { code: 'START_FAILED', container: cannot.name, reason: 'StartError', message: t?.message ?? 'could not start' },
        });
      }
      this.setPhase('running');
      this.save();
      // Apps that already ended for good while the others started: the pod may be over at once.
      void this.finishIfDone();
    } catch (err) {
      const e = err instanceof RequestError ? err : new RequestError((err as Error).message, 'START_FAILED');
      this.state.failure = e.extra.failure ?? { code: e.code === 'INIT_FAILED' ? 'INIT_FAILED' : 'START_FAILED', message: e.message, ...(e.extra.container ? { container: e.extra.container } : {}) };
      await this.killAll();
      this.finish('failed');
      throw e;
    }
  }

  /**
   * Starts a prepared instance as the container's current one, then its postStart hook (during run_pod a
   * failing hook fails the pod, as on native pods).
   */
  private async launch(c: GuestContainerStatus, inst: ContainerInstance, duringStart: boolean): Promise<void> {
    const spec = this.spec(c.name);
    this.live.set(c.name, inst);
    await inst.start(spec.tty === true);
    const exitedEarly = !inst.running && (await Promise.race([inst.exited.then(() => true), new Promise<boolean>((r) => setImmediate(() => r(false)))]));
    c.instance = inst.id;
    c.state = { running: { startedAt: inst.startedAt! } };
    c.started = !spec.startupProbe;
    c.ready = c.kind !== 'init' && !spec.readinessProbe && !spec.startupProbe;
    delete c.backoff;
    void inst.exited.then((exit) => this.exited(c.name, inst, exit));
    if (exitedEarly) {
      // runc never got the process going: exited() records it (StartError), and the restart logic applies.
      await inst.exited;
      await new Promise((r) => setImmediate(r));
      return;
    }
    if (spec.lifecycle?.postStart) {
      const r = await runGuestHandler(inst.id, spec, spec.lifecycle.postStart as Handler, POST_START_TIMEOUT_MS);
      if (!r.ok) {
        this.occur('Warning', 'FailedPostStartHook', r.message, c.name);
        await inst.kill('SIGKILL');
        if (duringStart)
          throw new RequestError(`container "${c.name}": postStart hook failed: ${r.message}`, 'START_FAILED', {
            container: c.name,
            failure: { code: 'START_FAILED', container: c.name, reason: 'FailedPostStartHook', message: `postStart hook failed: ${r.message}` },
          });
        return;
      }
    }
    this.startProbes(c, inst, spec);
    this.save();
  }

  private startProbes(c: GuestContainerStatus, inst: ContainerInstance, spec: PodContainer): void {
    if (!spec.startupProbe && !spec.livenessProbe && !spec.readinessProbe) return;
    const probes = new ContainerProbes(spec, Date.now(), {
      run: (h, timeoutMs) => runGuestHandler(inst.id, spec, h, timeoutMs),
      started: () => {
        if (this.live.get(c.name) !== inst || c.started) return;
        c.started = true;
        this.save();
      },
      readiness: (ready) => {
        if (this.live.get(c.name) !== inst || c.ready === ready) return;
        c.ready = ready && c.kind !== 'init';
        this.save();
      },
      unhealthy: (kind, message) => this.occur('Warning', 'Unhealthy', `${kind[0].toUpperCase()}${kind.slice(1)} probe failed: ${message}`, c.name),
      failed: (kind, message, probe) => {
        if (this.live.get(c.name) !== inst) return;
        this.occur('Normal', 'Killing', `Container ${c.name} failed ${kind} probe, will be restarted`, c.name);
        void this.stopInstance(c.name, Date.now() + (probe.terminationGracePeriodSeconds ?? this.graceSeconds()) * 1000, `failed ${kind} probe: ${message}`);
      },
    });
    this.probes.set(c.name, probes);
    probes.start();
  }

  private exited(name: string, inst: ContainerInstance, exit: InstanceExit): void {
    if (this.live.get(name) !== inst) return;
    this.live.delete(name);
    this.probes.get(name)?.stop();
    this.probes.delete(name);
    void inst.cleanup();
    const c = this.status(name);
    c.state = {
      terminated: {
        exitCode: exit.exitCode,
        ...(exit.signal ? { signal: exit.signal } : {}),
        reason: exit.reason,
        ...(exit.message ? { message: exit.message } : {}),
        ...(inst.startedAt ? { startedAt: inst.startedAt } : {}),
        finishedAt: exit.finishedAt,
      },
    };
    c.lastId = c.instance;
    delete c.instance;
    c.ready = false;
    c.started = false;
    if (this.stopRequested || this.finished || this.state.phase === 'starting' || this.state.phase === 'failed') return this.save();
    if (c.kind === 'init' && this.state.phase === 'initializing') return this.save();
    if (exit.reason === 'StartError') {
      const wait = backOffAfterStartError(c, exit.message ?? 'could not start', this.label, name);
      this.save();
      this.scheduleRestart(name, wait * 1000);
      return;
    }
    if (this.shouldRestart(c)) {
      const { delaySeconds, state } = restartDelay(c.backoffState, new Date(exit.finishedAt));
      c.backoffState = state;
      c.lastState = structuredClone(c.state);
      if (delaySeconds > 0) {
        const until = new Date(Date.parse(exit.finishedAt) + delaySeconds * 1000);
        c.backoff = { seconds: delaySeconds, until: until.toISOString() };
        c.state = { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${delaySeconds}s restarting failed container=${c.name} pod=${this.label}` } };
      }
      this.save();
      this.scheduleRestart(name, delaySeconds * 1000);
      return;
    }
    this.save();
    void this.finishIfDone();
  }

  private shouldRestart(c: GuestContainerStatus): boolean {
    if (c.kind === 'sidecar') return true;
    if (c.kind === 'init') return false;
    const policy = this.plan.pod.spec.restartPolicy ?? 'Always';
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
    const c = this.status(name);
    c.restartCount++;
    const inst = new ContainerInstance(this.planOf(name), c.restartCount, this.plan.uid, this.plan.logRotation);
    try {
      await inst.prepare({ pidNamespace: this.holder?.namespacePath });
    } catch (err) {
      await inst.cleanup();
      const wait = backOffAfterStartError(c, (err as Error).message, this.label, name);
      this.save();
      this.scheduleRestart(name, wait * 1000);
      return;
    }
    if (this.stopRequested || this.finished) return void inst.cleanup();
    await this.launch(c, inst, false).catch(() => undefined);
  }

  /** App containers are done for good: sidecars are stopped and the pod ends (Succeeded or Failed). */
  private async finishIfDone(): Promise<void> {
    if (this.timers.size > 0 || this.state.phase !== 'running') return;
    const appsLive = this.state.containers.some((c) => c.kind === 'app' && (this.live.has(c.name) || this.timers.has(c.name)));
    if (appsLive) return;
    this.setPhase('stopping');
    await this.stopLive(Date.now() + this.graceSeconds() * 1000);
    this.finish('stopped');
  }

  /** Stops everything within the grace period: preStop hooks, the stop signal, SIGKILL at the deadline. */
  async stop(gracePeriodSeconds: number): Promise<void> {
    if (this.finished) return;
    if (this.stopRequested) return this.done;
    this.stopRequested = true;
    const grace = this.graceSeconds(gracePeriodSeconds);
    this.setPhase('stopping');
    for (const [name, t] of this.timers) {
      clearTimeout(t);
      this.timers.delete(name);
    }
    for (const c of this.state.containers) {
      if (c.state.waiting && c.lastState.terminated) c.state = c.lastState;
      delete c.backoff;
    }
    this.save();
    await this.stopLive(Date.now() + grace * 1000);
    this.state.reason = 'Stopped';
    this.state.message = 'stopped on request';
    this.finish('stopped');
  }

  /** One container: preStop, then its stop signal, then SIGKILL at the deadline. */
  private async stopInstance(name: string, deadline: number, _why?: string): Promise<void> {
    const inst = this.live.get(name);
    if (!inst) return;
    this.probes.get(name)?.stop();
    const spec = this.spec(name);
    const timeLeft = () => Math.max(0, deadline - Date.now());
    if (spec.lifecycle?.preStop && timeLeft() > 0) {
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), timeLeft());
      const r = await Promise.race([
        runGuestHandler(inst.id, spec, spec.lifecycle.preStop as Handler, timeLeft(), abort.signal),
        inst.exited.then(() => ({ ok: true, message: 'exited' })),
      ]);
      clearTimeout(timer);
      if (!r.ok) this.occur('Warning', 'FailedPreStopHook', r.message, name);
    }
    if (!inst.running) return void (await inst.exited);
    await inst.kill(timeLeft() > 0 ? this.planOf(name).stopSignal || 'SIGTERM' : 'SIGKILL');
    let timer: NodeJS.Timeout | undefined;
    const r = await Promise.race([inst.exited, new Promise<'timeout'>((res) => (timer = setTimeout(() => res('timeout'), timeLeft())))]);
    clearTimeout(timer);
    if (r === 'timeout') {
      await inst.kill('SIGKILL');
      await inst.exited;
    }
  }

  /** App containers together, then sidecars last-started first, then any init container. */
  private async stopLive(deadline: number): Promise<void> {
    const byKind = (kind: string) => this.state.containers.filter((c) => c.kind === kind).map((c) => c.name);
    await Promise.all(byKind('app').map((n) => this.stopInstance(n, deadline)));
    for (const name of byKind('sidecar').reverse()) await this.stopInstance(name, deadline);
    await Promise.all(byKind('init').map((n) => this.stopInstance(n, deadline)));
  }

  private async killAll(): Promise<void> {
    for (const p of this.probes.values()) p.stop();
    await Promise.all(
      [...this.live.values()].map(async (i) => {
        await i.kill('SIGKILL');
        await i.exited;
      }),
    );
  }

  /** The running instance of a container (exec). */
  instance(name: string): ContainerInstance | undefined {
    const i = this.live.get(name);
    return i?.running ? i : undefined;
  }

  private finish(phase: 'stopped' | 'failed'): void {
    if (this.finished) return;
    this.finished = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    // Its containers are gone: the namespace goes with its holder.
    this.holder?.stop();
    this.setPhase(phase);
    this.save();
    this.resolveDone();
  }
}
