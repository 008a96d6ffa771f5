// The supervision loop of one runtime instance: it watches every running pod's exit directory (fs.watch, with
// a slow sweep behind it), collects container exits, restarts containers per restartPolicy with the
// kubelet's back-off, runs probes and log rotation for live instances, and finishes pods whose work is done
// (sidecars and the pause container stop once the app containers completed under OnFailure/Never). It also
// measures disk emptyDirs that have a sizeLimit and evicts a pod whose volume outgrew it (volume-usage.ts).
// Supervision is in-memory only: everything it decides is saved in pod.json, so another instance can take over.
import { watch, type FSWatcher } from 'node:fs';
import { conmonReopenChannel, instanceLogPath, startLogRotation, type LogRotator } from '../../logs';
import { isAlive, readExitCode } from '../../runtime';
import { PodError } from '../types';
import { backOffAfterStartError, restartDelay } from './backoff';
import { collectExit } from './collect-exit';
import type { RuntimeContext } from './context';
import { runHandler, type HandlerTarget } from './handlers';
import { launchInstance } from './launch';
import { NetnsAgent } from './netns-agent';
import { hookFailedMessage, occur } from './occurrences';
import { pauseAlive, stopPause } from './pause-process';
import { openPauseNetns } from './pod-netns';
import { podFacts } from './pod-facts';
import { PodPaths } from './paths';
import type { PodContainer } from './pod-spec';
import { ContainerProbes } from './probes';
import { isDirectPause, readPod, type ContainerRecord, type PodRecord } from './state';
import { podPhase, restartPolicy } from './status';
import { graceSeconds, specOf } from './spec-of';
import { stopInstance } from './stop-container';
import { releaseSubPaths } from './subpath-mounts';
import { DEFAULT_VOLUME_USAGE_INTERVAL_MS, diskEmptyDirLimits, emptyDiskVolumes, evictionMessage, exceededLimit } from './volume-usage';

const SWEEP_MS = 2000;

function shouldRestart(record: PodRecord, c: ContainerRecord): boolean {
  if (record.lifecycle !== 'running') return false;
  if (c.kind === 'sidecar') return true;
  if (c.kind === 'init') return false;
  const policy = restartPolicy(record);
  return policy === 'Always' || (policy === 'OnFailure' && c.state.terminated?.exitCode !== 0);
}

interface InstanceWatch {
  id: string;
  probes?: ContainerProbes;
  rotator?: Promise<LogRotator | undefined>;
}

interface PodWatch {
  watcher?: FSWatcher;
  instances: Map<string, InstanceWatch>;
  restartTimers: Map<string, NodeJS.Timeout>;
  pending?: NodeJS.Timeout;
  /** Measures disk emptyDirs that have a sizeLimit; `measuring` skips a tick while the last one runs. */
  usage?: NodeJS.Timeout;
  measuring?: boolean;
}

export class Supervisor {
  private readonly pods = new Map<string, PodWatch>();
  private readonly agents = new Map<string, NetnsAgent>();
  private sweep: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly ctx: RuntimeContext) {}

  get enabled(): boolean {
    return this.ctx.options.supervise !== false && !this.closed;
  }

  isWatching(uid: string): boolean {
    return this.pods.has(uid);
  }

  /** The pod's network check helper (started on first use). */
  agent(record: PodRecord): NetnsAgent {
    let a = this.agents.get(record.uid);
    if (!a) {
      const pause = record.pause;
      a = new NetnsAgent(record.pod.spec.hostNetwork ? undefined : () => openPauseNetns(pause));
      this.agents.set(record.uid, a);
    }
    return a;
  }

  target(record: PodRecord): Omit<HandlerTarget, 'container' | 'id'> {
    return { ctx: this.ctx, record, agent: () => this.agent(record) };
  }

  /** Supervises a saved pod: exit watch, probes and rotation of live instances, pending back-off restarts. */
  watch(record: PodRecord): void {
    if (!this.enabled || record.lifecycle !== 'running') return;
    let w = this.pods.get(record.uid);
    if (!w) {
      w = { instances: new Map(), restartTimers: new Map() };
      this.pods.set(record.uid, w);
      try {
        w.watcher = watch(new PodPaths(this.ctx.home, record.uid).exits, () => this.schedule(record.uid));
        w.watcher.on('error', () => undefined);
      } catch {
        // The sweep still notices exits.
      }
    }
    this.sweep ??= setInterval(() => {
      for (const uid of this.pods.keys()) this.schedule(uid);
    }, SWEEP_MS);
    this.sweep.unref();
    if (!w.usage) this.watchVolumeUsage(record, w);
    for (const c of record.containers) {
      if (c.process && c.state.running) this.watchInstance(record, c);
      if (c.state.waiting?.reason === 'CrashLoopBackOff' && c.backoff) this.scheduleRestart(record.uid, c.name, Date.parse(c.backoff.until) - Date.now());
    }
    // An exit may have happened before the watch existed.
    this.schedule(record.uid);
  }

  /** Stops supervising (processes keep running). */
  unwatch(uid: string): void {
    const w = this.pods.get(uid);
    this.agents.get(uid)?.close();
    this.agents.delete(uid);
    if (!w) return;
    // Instances first: unwatchInstance finds them through this.pods.
    for (const name of [...w.instances.keys()]) this.unwatchInstance(uid, name);
    this.pods.delete(uid);
    w.watcher?.close();
    if (w.pending) clearTimeout(w.pending);
    if (w.usage) clearInterval(w.usage);
    for (const t of w.restartTimers.values()) clearTimeout(t);
    if (this.pods.size === 0 && this.sweep) {
      clearInterval(this.sweep);
      this.sweep = undefined;
    }
  }

  close(): void {
    for (const uid of [...this.pods.keys()]) this.unwatch(uid);
    for (const a of this.agents.values()) a.close();
    this.agents.clear();
    this.closed = true;
  }

  /** Periodic usage checks of the pod's disk emptyDirs with a sizeLimit (none: no timer). */
  private watchVolumeUsage(record: PodRecord, w: PodWatch): void {
    const limits = diskEmptyDirLimits(record.pod, new PodPaths(this.ctx.home, record.uid));
    if (limits.length === 0) return;
    w.usage = setInterval(() => {
      if (w.measuring) return;
      w.measuring = true;
      void exceededLimit(limits)
        .then((over) => (over ? this.evict(record.uid, evictionMessage(over)) : undefined))
        .catch(() => undefined)
        .finally(() => (w.measuring = false));
    }, this.ctx.options.volumeUsageIntervalMs ?? DEFAULT_VOLUME_USAGE_INTERVAL_MS);
    w.usage.unref();
  }

  /**
   * Evicts the pod as the kubelet's eviction manager does for local storage: every container is killed at once
   * (no grace), the pod is Failed with reason Evicted, and its disk emptyDirs are emptied to free the disk.
   */
  private evict(uid: string, message: string): Promise<void> {
    return this.ctx.locks.run(uid, async () => {
      const record = await readPod(this.ctx.home, uid);
      if (!record || record.lifecycle !== 'running') return;
      const w = this.pods.get(uid);
      for (const t of w?.restartTimers.values() ?? []) clearTimeout(t);
      w?.restartTimers.clear();
      for (const c of record.containers) {
        this.unwatchInstance(uid, c.name);
        delete c.backoff;
        if (!c.process) continue;
        // No grace period and no stop signal first: the kubelet evicts for local storage with grace 0.
        const r = await stopInstance(this.ctx, record, { ...c, stopSignal: 'SIGKILL' }, { deadline: Date.now(), preStop: false });
        await collectExit(this.ctx, record, c, r);
      }
      await this.stopPause(record);
      const paths = new PodPaths(this.ctx.home, uid);
      for (const c of record.containers) await releaseSubPaths(paths, c.name).catch(() => undefined);
      await emptyDiskVolumes(record.pod, paths);
      record.lifecycle = 'stopped';
      record.reason = 'Evicted';
      record.message = message;
      await this.ctx.save(record);
      this.unwatch(uid);
    });
  }

  private schedule(uid: string): void {
    const w = this.pods.get(uid);
    if (!w || w.pending) return;
    // Coalesces a burst of watch events into one check.
    w.pending = setTimeout(() => {
      w.pending = undefined;
      void this.check(uid);
    }, 5);
  }

  private watchInstance(record: PodRecord, c: ContainerRecord): void {
    const w = this.pods.get(record.uid);
    const p = c.process;
    if (!w || !p || w.instances.get(c.name)?.id === p.id) return;
    this.unwatchInstance(record.uid, c.name);
    const inst: InstanceWatch = { id: p.id };
    w.instances.set(c.name, inst);
    const podPaths = new PodPaths(this.ctx.home, record.uid);
    const logPath = instanceLogPath(podPaths.logDir(c.name), c.restartCount);
    // Rotation asks conmon to reopen its log through the bundle's ctl FIFO, so no line is lost.
    const reopen = conmonReopenChannel(podPaths.bundle(c.name, c.restartCount));
    inst.rotator = startLogRotation(logPath, reopen, this.ctx.options.logRotation).catch(() => undefined);
    const spec = specOf(record, c.name);
    if (!spec || c.kind === 'init') return;
    const startedAt = Date.parse(c.state.running?.startedAt ?? '') || Date.now();
    const update = (fn: (rec: PodRecord, cur: ContainerRecord) => boolean) =>
      this.ctx.locks.run(record.uid, async () => {
        const rec = await readPod(this.ctx.home, record.uid);
        const cur = rec?.containers.find((x) => x.name === c.name);
        if (!rec || !cur || cur.process?.id !== p.id || !fn(rec, cur)) return;
        await this.ctx.save(rec);
      });
    inst.probes = new ContainerProbes(spec, startedAt, {
      run: (handler, timeoutMs) => runHandler({ ...this.target(record), container: spec, id: p.id }, handler, timeoutMs),
      started: () =>
        void update((_rec, cur) => {
          if (cur.started) return false;
          cur.started = true;
          return true;
        }),
      readiness: (ready) =>
        void update((_rec, cur) => {
          if (cur.ready === ready) return false;
          cur.ready = ready;
          return true;
        }),
      unhealthy: (_kind, message) => occur(this.ctx, record, c.name, 'Warning', 'Unhealthy', message),
      failed: (kind, message, probe) => {
        inst.probes?.stop();
        void (async () => {
          const rec = await readPod(this.ctx.home, record.uid);
          const cur = rec?.containers.find((x) => x.name === c.name);
          if (!rec || !cur || cur.process?.id !== p.id) return;
          const grace = probe.terminationGracePeriodSeconds ?? graceSeconds(rec);
          const after = restartPolicy(rec) === 'Never' ? 'will not be restarted (restartPolicy Never)' : 'will be restarted';
          const killing = `Container ${c.name} failed ${kind} probe, ${after}`;
          await stopInstance(this.ctx, rec, cur, { deadline: Date.now() + grace * 1000, preStop: true, spec, target: this.target(rec), killing });
          this.lastProbeFailure.set(p.id, message);
          this.schedule(record.uid);
        })();
      },
    });
    inst.probes.start();
  }

  /** Why the supervisor killed an instance (shown as the terminated state's message). */
  private readonly lastProbeFailure = new Map<string, string>();

  private unwatchInstance(uid: string, name: string): void {
    const w = this.pods.get(uid);
    const inst = w?.instances.get(name);
    if (!w || !inst) return;
    w.instances.delete(name);
    inst.probes?.stop();
    void inst.rotator?.then((r) => r?.stop()).catch(() => undefined);
  }

  private scheduleRestart(uid: string, name: string, delayMs: number): void {
    const w = this.pods.get(uid);
    if (!w) return;
    const old = w.restartTimers.get(name);
    if (old) clearTimeout(old);
    const t = setTimeout(() => {
      w.restartTimers.delete(name);
      void this.restart(uid, name);
    }, Math.max(0, delayMs));
    t.unref();
    w.restartTimers.set(name, t);
  }

  /** Collects exits of the pod's containers and acts on them. Also called by podStatus for fresh answers. */
  check(uid: string): Promise<void> {
    return this.ctx.locks.run(uid, () => this.checkLocked(uid)).catch(() => undefined);
  }

  private async checkLocked(uid: string): Promise<void> {
    const record = await readPod(this.ctx.home, uid);
    if (!record) return this.unwatch(uid);
    if (record.lifecycle !== 'running') return;
    const paths = new PodPaths(this.ctx.home, uid);
    let changed = false;
    const restartNow: string[] = [];
    for (const c of record.containers) {
      const p = c.process;
      if (!p) continue;
      const code = await readExitCode(paths.exits, p.id);
      if (code === undefined && isAlive(p.conmonPid, p.conmonStartTime)) continue;
      this.unwatchInstance(uid, c.name);
      await collectExit(this.ctx, record, c, code !== undefined ? { kind: 'exited', exitCode: code } : undefined);
      const why = this.lastProbeFailure.get(p.id);
      if (why && c.state.terminated) c.state.terminated.message = why;
      this.lastProbeFailure.delete(p.id);
      changed = true;
      if (!shouldRestart(record, c)) continue;
      const exitedAt = new Date(c.state.terminated?.finishedAt ?? Date.now());
      const { delaySeconds, state } = restartDelay(c.backoffState, exitedAt);
      c.backoffState = state;
      c.lastState = structuredClone(c.state);
      if (delaySeconds === 0) {
        restartNow.push(c.name);
        continue;
      }
      const until = new Date(exitedAt.getTime() + delaySeconds * 1000);
      c.backoff = { seconds: delaySeconds, until: until.toISOString() };
      c.state = { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${delaySeconds}s restarting failed container=${c.name} pod=${record.name}_${record.namespace}(${record.uid})` } };
      this.scheduleRestart(uid, c.name, until.getTime() - Date.now());
    }
    if (record.pause && !pauseAlive(record.pause)) {
      await this.sandboxDied(record);
      changed = true;
    } else if (changed && restartNow.length === 0 && !record.containers.some((c) => c.backoff && c.state.waiting)) {
      const phase = podPhase(record);
      if (phase === 'Succeeded' || phase === 'Failed') await this.finish(record);
    }
    if (changed) await this.ctx.save(record);
    if (record.lifecycle !== 'running') this.unwatch(uid);
    for (const name of restartNow) this.scheduleRestart(uid, name, 0);
  }

  /** The pause container is gone: the pod's namespaces are too. Everything stops; the pod is Failed. */
  private async sandboxDied(record: PodRecord): Promise<void> {
    for (const c of record.containers) {
      if (!c.process) continue;
      await stopInstance(this.ctx, record, c, { deadline: Date.now(), preStop: false });
      await collectExit(this.ctx, record, c);
    }
    if (!isDirectPause(record.pause)) await this.ctx.oci(record).delete(record.pause!.id, true).catch(() => undefined);
    record.lifecycle = 'stopped';
    record.reason = 'SandboxDied';
    record.message = 'the pod sandbox (pause container) exited; its namespaces are gone';
  }

  /** App containers are done for good: stop sidecars (last started first) and the pause container. */
  private async finish(record: PodRecord): Promise<void> {
    const deadline = Date.now() + graceSeconds(record) * 1000;
    for (const c of record.containers.filter((x) => x.kind === 'sidecar' && x.process).reverse()) {
      const r = await stopInstance(this.ctx, record, c, { deadline, preStop: true, spec: specOf(record, c.name), target: this.target(record) });
      this.unwatchInstance(record.uid, c.name);
      await collectExit(this.ctx, record, c, r);
    }
    await this.stopPause(record);
    record.lifecycle = 'stopped';
  }

  private async stopPause(record: PodRecord): Promise<void> {
    await stopPause(this.ctx, record);
  }

  /** Starts the next instance of a container after its back-off. */
  private restart(uid: string, name: string): Promise<void> {
    return this.ctx.locks
      .run(uid, async () => {
        const record = await readPod(this.ctx.home, uid);
        const c = record?.containers.find((x) => x.name === name);
        if (!record || !c || record.lifecycle !== 'running' || c.process) return;
        if (c.backoff && Date.parse(c.backoff.until) > Date.now() + 5) return this.scheduleRestart(uid, name, Date.parse(c.backoff.until) - Date.now());
        delete c.backoff;
        c.restartCount++;
        try {
          await launchInstance(this.ctx, record, c, { freshRootfs: true, facts: podFacts(record.pod, uid) });
          const spec = specOf(record, name);
          if (spec?.lifecycle?.postStart) await this.postStart(record, c, spec);
        } catch (err) {
          // A failed postStart hook has had its own event (FailedPostStartHook).
          if (!(err instanceof PodError && err.details?.failure?.reason === 'FailedPostStartHook')) occur(this.ctx, record, name, 'Warning', 'Failed', `Error: ${(err as Error).message}`);
          if (c.process) {
            await stopInstance(this.ctx, record, c, { deadline: Date.now(), preStop: false });
            await collectExit(this.ctx, record, c);
          }
          const message = (err as Error).message;
          const wait = backOffAfterStartError(c, message, `${record.name}_${record.namespace}(${uid})`, name);
          // The saved state moves on to CrashLoopBackOff at once: the failure itself is announced here.
          this.ctx.emit({ type: 'container', time: new Date().toISOString(), pod: record.name, uid, container: name, state: 'terminated', reason: 'StartError', exitCode: 128, message });
          this.scheduleRestart(uid, name, wait * 1000);
        }
        await this.ctx.save(record);
        this.watchInstance(record, c);
      })
      .catch(() => undefined);
  }

  /** Runs postStart; a failure kills the instance (FailedPostStartHook), as the kubelet does. */
  async postStart(record: PodRecord, c: ContainerRecord, spec: PodContainer): Promise<void> {
    const hook = spec.lifecycle?.postStart;
    if (!hook || !c.process) return;
    const r = await runHandler({ ...this.target(record), container: spec, id: c.process.id }, hook, graceSeconds(record) * 1000 || 30_000);
    if (r.ok) return;
    occur(this.ctx, record, c.name, 'Warning', 'FailedPostStartHook', hookFailedMessage('PostStart', c.name, hook, r.message));
    throw new PodError(`container "${c.name}": postStart hook failed (FailedPostStartHook): ${r.message.trim()}`, 'START_FAILED', {
      container: c.name,
      failure: { container: c.name, reason: 'FailedPostStartHook', lastLines: [] },
    });
  }
}
