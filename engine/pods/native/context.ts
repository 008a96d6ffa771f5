// What every pod operation shares inside one runtime instance: the home, the image store, per-pod locks,
// the event listeners, and saving a record (which is also where state changes turn into PodEvents).
import type { ConnectOptions } from '../../image/registry/connect';
import { LIMITS } from '../../limits/table';
import { openStore, type ImageStore } from '../../image/store';
import type { Platform } from '../../image/types';
import type { RotationPolicy } from '../../logs';
import type { PortForwardSession } from '../../network';
import { findConmon, runtimeFor, type OciRuntime } from '../../runtime';
import type { PodEvent, PodPhase } from '../types';
import { KeyedMutex } from './keyed-mutex';
import type { Termination } from './termination';
import { writePod, type PodRecord } from './state';
import { podPhase, refreshConditions } from './status';

export interface NativeRuntimeOptions {
  /** PODSMITH_HOME. */
  home: string;
  /** Default OCI runtime: `auto` (crun where it works, else runc, else youki), a name, or a path. */
  ociRuntime?: string;
  /** Registry options for pulls (insecure registries, credentials, timeouts). */
  pull?: ConnectOptions & { platform?: Platform | string };
  /** pids.max of each pod's cgroup (Kubernetes' podPidsLimit). Default 4096; 0 leaves it unlimited. */
  podPidsLimit?: number;
  /** Log rotation (conmon cuts, engine/logs keeps the files). */
  logRotation?: RotationPolicy;
  /** Restart containers and run probes from this instance (default true). */
  supervise?: boolean;
  /** How often disk emptyDirs with a sizeLimit are measured, ms (default 10 s, as the kubelet's housekeeping). */
  volumeUsageIntervalMs?: number;
  /**
   * How the pod's pause starts: `direct` (catatonit launched straight into its namespaces, engine/runtime/
   * pause-direct.ts), `runtime` (a container under conmon and the OCI runtime), or `auto` (default: direct
   * where it can run, i.e. as root with perl, koffi and libseccomp). PODSMITH_PAUSE sets it too.
   */
  pause?: 'auto' | 'direct' | 'runtime';
  /** Time limits (the seeds' CONTAINER_START_TIMEOUT and EXEC_TIMEOUT); tests shorten them. */
  timeouts?: {
    /** `runtime create` (under conmon) and `runtime start` of one container. Default 60 s. */
    containerStartMs?: number;
    /** An exec with neither a terminal nor stdin. Default 300 s. */
    execMs?: number;
  };
}

/** A run_pod in progress in this process: a forced delete cancels it and waits until it has rolled back. */
export interface Creation {
  readonly cancel: AbortController;
  readonly settled: Promise<void>;
}

export class RuntimeContext {
  readonly locks = new KeyedMutex();
  readonly listeners = new Set<(e: PodEvent) => void>();
  /** hostPort forwarders this process serves for pods where pasta cannot run (they end with the process). */
  readonly forwarders = new Map<string, PortForwardSession>();
  /** Pods being created by run_pod in this process, by uid. */
  readonly creations = new Map<string, Creation>();
  /** The stop or delete under way per pod (terminate.ts): later requests join it instead of queueing. */
  readonly terminations = new Map<string, Termination>();
  /** The last save per pod: saves of one pod are written in order (the newest state lands last). */
  private readonly saves = new Map<string, Promise<void>>();
  private storePromise: Promise<ImageStore> | undefined;
  private conmonPath: string | undefined;
  /** Last state emitted per pod, to turn saves into change events. */
  private readonly seen = new Map<string, { phase: PodPhase; containers: Map<string, string> }>();

  constructor(readonly options: NativeRuntimeOptions) {}

  get home(): string {
    return this.options.home;
  }

  store(): Promise<ImageStore> {
    this.storePromise ??= openStore(this.home).catch((err) => {
      this.storePromise = undefined;
      throw err;
    });
    return this.storePromise;
  }

  conmon(): string {
    this.conmonPath ??= findConmon();
    return this.conmonPath;
  }

  oci(record: PodRecord): OciRuntime {
    return runtimeFor(this.home, record.ociRuntime);
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

  /** Writes pod.json (conditions refreshed) and emits the pod and container changes since the last save. */
  save(record: PodRecord): Promise<void> {
    const previous = this.saves.get(record.uid) ?? Promise.resolve();
    const next = previous.then(async () => {
      refreshConditions(record);
      await writePod(this.home, record);
      this.announce(record);
    });
    const tail = next.catch(() => undefined);
    this.saves.set(record.uid, tail);
    void tail.then(() => {
      if (this.saves.get(record.uid) === tail) this.saves.delete(record.uid);
    });
    return next;
  }

  containerStartMs(): number {
    return this.options.timeouts?.containerStartMs ?? LIMITS.containerStartSeconds * 1000;
  }

  execTimeoutMs(): number {
    return this.options.timeouts?.execMs ?? LIMITS.execSeconds * 1000;
  }

  announce(record: PodRecord): void {
    const time = new Date().toISOString();
    const phase = podPhase(record);
    const before = this.seen.get(record.uid);
    const containers = new Map<string, string>();
    for (const c of record.containers) {
      const kind = c.state.running ? 'running' : c.state.terminated ? 'terminated' : 'waiting';
      const reason = c.state.terminated?.reason ?? c.state.waiting?.reason;
      const keyWith = (ready: boolean) => `${kind}|${reason ?? ''}|${c.restartCount}|${ready}`;
      const key = keyWith(c.ready);
      containers.set(c.name, key);
      const previous = before?.containers.get(c.name);
      if (previous === key) continue;
      // Only readiness changed: say that, not "started" again.
      if (kind === 'running' && previous === keyWith(!c.ready)) {
        this.emit({ type: 'container', time, pod: record.name, uid: record.uid, container: c.name, state: kind, reason: c.ready ? 'Ready' : 'NotReady' });
        continue;
      }
      this.emit({
        type: 'container',
        time,
        pod: record.name,
        uid: record.uid,
        container: c.name,
        state: kind,
        ...(reason ? { reason } : {}),
        ...(c.state.terminated ? { exitCode: c.state.terminated.exitCode } : {}),
      });
    }
    if (!before || before.phase !== phase)
      this.emit({ type: 'pod', time, pod: record.name, uid: record.uid, phase, ...(record.reason ? { reason: record.reason } : {}), ...(record.message ? { message: record.message } : {}) });
    this.seen.set(record.uid, { phase, containers });
  }

  forget(uid: string): void {
    this.seen.delete(uid);
  }
}
