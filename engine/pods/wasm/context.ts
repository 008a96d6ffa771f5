// What every operation of one wasm runtime instance shares: the home, the image store and pulls (through a
// native RuntimeContext, so pull policies and progress events are the same), per-pod locks, listeners, and
// the watch on running pods: status.json changes (fs.watch on the pod's sandbox/ directory, a 1 s sweep
// behind it) turn into PodEvents, and a supervisor found dead is recorded as such. Sandboxes come from its
// SandboxPool.
import { watch, type FSWatcher } from 'node:fs';
import type { RotationPolicy } from '../../logs';
import { isAlive } from '../../runtime/processes';
import { RuntimeContext, type NativeRuntimeOptions } from '../native/context';
import { KeyedMutex } from '../native/keyed-mutex';
import type { PodEvent } from '../types';
import { WasmPodPaths } from './paths';
import { SandboxPool } from './spare';
import type { SupervisorCommandOf } from './supervisor-command';
import { readSupervisorState, readWasmPod, writeSupervisorState, writeWasmPod, type SupervisorRef, type SupervisorState, type WasmPodRecord } from './records';
import { asNativeRecord, initialContainers, refreshStateConditions } from './status';

export interface WasmRuntimeOptions {
  /** PODSMITH_HOME. */
  home: string;
  /** Registry options for pulls (insecure registries, credentials, timeouts, platform). */
  pull?: NativeRuntimeOptions['pull'];
  /** Instruction budget of each container instance unless the pod's `podsmith.io/wasm-fuel` says otherwise (1e9). */
  fuel?: number;
  /** Watch running pods and emit their changes (default true). */
  supervise?: boolean;
  /** Log rotation of every container (the supervisor rotates the files it writes); engine/logs' default. */
  logRotation?: RotationPolicy;
  /** How to start a pod's supervisor with its arguments (default: supervisorCommand() in supervisor-command.ts, from the sources or the bundle). */
  supervisorCommand?: SupervisorCommandOf;
  /**
   * Keep a warm spare supervisor for the next run_pod (spare.ts; default true), booting this many container
   * threads ahead (default 3).
   */
  spare?: boolean;
  spareThreads?: number;
}

const SWEEP_MS = 1000;

export class WasmContext {
  readonly locks = new KeyedMutex();
  readonly listeners = new Set<(e: PodEvent) => void>();
  /** The native context serves the image store, pulls and the event bookkeeping (announce). */
  readonly native: RuntimeContext;
  /** Sandboxes for run_pod, with the warm spare unless options.spare is false. */
  readonly sandboxes: SandboxPool;
  private readonly watches = new Map<string, { watcher?: FSWatcher; pending?: NodeJS.Timeout }>();
  private readonly changeWaiters = new Map<string, Set<() => void>>();
  private sweep: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(readonly options: WasmRuntimeOptions) {
    this.native = new RuntimeContext({ home: options.home, ...(options.pull ? { pull: options.pull } : {}), supervise: false });
    this.native.listeners.add((e) => this.emit(e));
    this.sandboxes = new SandboxPool(options.home, options.spare !== false, options.spareThreads, options.supervisorCommand);
  }

  get home(): string {
    return this.options.home;
  }

  get supervising(): boolean {
    return this.options.supervise !== false && !this.closed;
  }

  emit(e: PodEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // A listener's failure is its own business.
      }
    }
  }

  /** Emits the pod and container changes since the last announcement (native's bookkeeping). */
  announce(pod: WasmPodRecord, state: SupervisorState | undefined): void {
    this.native.announce(asNativeRecord(pod, state));
  }

  forget(uid: string): void {
    this.native.forget(uid);
  }

  /** Writes pod.json and announces what changed. */
  async save(pod: WasmPodRecord, state?: SupervisorState): Promise<void> {
    await writeWasmPod(this.home, pod);
    this.announce(pod, state ?? (await readSupervisorState(this.home, pod)));
  }

  /**
   * Changes in the pod directory from now on: next() resolves at once if something changed since the last
   * call, else on the next change or after `timeoutMs`. One watcher throughout, so a change between a read and
   * the next wait is not missed (a watcher per wait would leave that gap, costing the whole timeout).
   */
  changes(uid: string): { next(timeoutMs: number): Promise<void>; close(): void } {
    let set = this.changeWaiters.get(uid);
    if (!set) this.changeWaiters.set(uid, (set = new Set()));
    const waiters = set;
    let dirty = false;
    let wake: (() => void) | undefined;
    const changed = () => {
      dirty = true;
      wake?.();
    };
    let watcher: FSWatcher | undefined;
    try {
      watcher = watch(new WasmPodPaths(this.home, uid).sandbox, changed);
      watcher.on('error', () => undefined);
    } catch {
      // The timeouts still pace the waits.
    }
    waiters.add(changed);
    return {
      next: (timeoutMs) => {
        if (dirty) {
          dirty = false;
          return Promise.resolve();
        }
        return new Promise<void>((resolve) => {
          const timer = setTimeout(() => wake?.(), timeoutMs);
          wake = () => {
            clearTimeout(timer);
            wake = undefined;
            dirty = false;
            resolve();
          };
        });
      },
      close: () => {
        watcher?.close();
        waiters.delete(changed);
        if (waiters.size === 0) this.changeWaiters.delete(uid);
        wake?.();
      },
    };
  }

  /** Follows a running pod: its changes become events; a dead supervisor is recorded. */
  watchPod(uid: string): void {
    if (!this.supervising || this.watches.has(uid)) return;
    const w: { watcher?: FSWatcher; pending?: NodeJS.Timeout } = {};
    this.watches.set(uid, w);
    try {
      w.watcher = watch(new WasmPodPaths(this.home, uid).sandbox, (_type, name) => {
        if (name === 'status.json') this.schedule(uid);
      });
      w.watcher.on('error', () => undefined);
    } catch {
      // The sweep still notices changes.
    }
    this.sweep ??= setInterval(() => {
      for (const id of this.watches.keys()) this.schedule(id);
    }, SWEEP_MS);
    this.sweep.unref();
    this.schedule(uid);
  }

  unwatchPod(uid: string): void {
    const w = this.watches.get(uid);
    if (!w) return;
    this.watches.delete(uid);
    w.watcher?.close();
    if (w.pending) clearTimeout(w.pending);
    if (this.watches.size === 0 && this.sweep) {
      clearInterval(this.sweep);
      this.sweep = undefined;
    }
  }

  isWatching(uid: string): boolean {
    return this.watches.has(uid);
  }

  private schedule(uid: string): void {
    const w = this.watches.get(uid);
    if (!w || w.pending) return;
    // Coalesces a burst of events into one look.
    w.pending = setTimeout(() => {
      w.pending = undefined;
      void this.locks.run(uid, () => this.refreshLocked(uid)).catch(() => undefined);
    }, 5);
  }

  /** Both files, with a dead supervisor recorded first (lock held by the caller). */
  async refreshLocked(uid: string): Promise<{ pod: WasmPodRecord; state: SupervisorState | undefined } | undefined> {
    const pod = await readWasmPod(this.home, uid);
    if (!pod) {
      this.unwatchPod(uid);
      return undefined;
    }
    let state = await readSupervisorState(this.home, pod);
    if (pod.lifecycle === 'running' && state && state.phase !== 'stopped' && state.phase !== 'failed' && !supervisorAlive(pod)) {
      state = markSupervisorDead(pod, state);
      await writeSupervisorState(this.home, state);
    }
    if (this.watches.has(uid)) {
      this.announce(pod, state);
      const over = state && (state.phase === 'stopped' || state.phase === 'failed');
      if (pod.lifecycle !== 'running' || over) this.unwatchPod(uid);
    }
    return { pod, state };
  }

  /** Both files, fresh: see refreshLocked. */
  refresh(uid: string): Promise<{ pod: WasmPodRecord; state: SupervisorState | undefined } | undefined> {
    return this.locks.run(uid, () => this.refreshLocked(uid));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const uid of [...this.watches.keys()]) this.unwatchPod(uid);
    for (const set of this.changeWaiters.values()) for (const done of [...set]) done();
    this.changeWaiters.clear();
    await this.sandboxes.close();
  }
}

/** The supervisor's process: pod.json's, never what status.json (written in the sandbox) says. */
export function supervisorRef(pod: WasmPodRecord): SupervisorRef | undefined {
  return pod.supervisor;
}

export function supervisorAlive(pod: WasmPodRecord): boolean {
  const ref = supervisorRef(pod);
  return !!ref && isAlive(ref.pid, ref.startTime);
}

/** The state after the supervisor vanished without saying so (killed, crashed): nothing of the pod runs. */
export function markSupervisorDead(pod: WasmPodRecord, state: SupervisorState | undefined, why?: string): SupervisorState {
  const ref = supervisorRef(pod);
  const now = new Date().toISOString();
  const next: SupervisorState = state
    ? structuredClone(state)
    : { version: 1, uid: pod.uid, supervisor: ref ?? { pid: 0 }, phase: 'stopped', containers: initialContainers(pod.pod, pod.plans), conditions: [], updatedAt: now };
  const message = why ?? `the pod's supervisor process (pid ${ref?.pid ?? '?'}) is gone`;
  for (const c of next.containers) {
    if (c.instance) {
      c.state = {
        terminated: {
          exitCode: 137,
          reason: 'ContainerStatusUnknown',
          message: `${message}; the module ended with it`,
          ...(c.state.running ? { startedAt: c.state.running.startedAt } : {}),
          finishedAt: now,
        },
      };
      c.lastId = c.instance;
      delete c.instance;
    } else if (c.state.waiting && c.lastState.terminated) c.state = c.lastState;
    delete c.backoff;
    c.ready = false;
    c.started = false;
  }
  next.phase = 'stopped';
  next.reason = 'SupervisorDied';
  next.message = message;
  next.updatedAt = now;
  refreshStateConditions(pod, next);
  return next;
}
