// The `pod-containers` runtime: Kubernetes-style pods as OCI containers (runc/crun/youki) under conmon,
// sharing a pause container's namespaces. State lives under `$PODSMITH_HOME/pods/<uid>/`; the daemon calls
// this through the PodRuntime interface.
import type { ExecRequest, LogsRequest, PodRuntime } from '../runtime';
import type { PodEvent } from '../types';
import { detectOciRuntimes, type RuntimeVerdict } from '../../runtime';
import { RuntimeContext, type NativeRuntimeOptions } from './context';
import { deletePod } from './delete-pod';
import { execInPod } from './exec';
import { podLogs } from './logs';
import { podNetns } from './pod-netns';
import { listPods, podStatus } from './pod-status';
import { reconcile } from './reconcile';
import { runPod } from './run-pod';
import { stopPod } from './stop-pod';
import { Supervisor } from './supervisor';

export type { NativeRuntimeOptions } from './context';
export { podLimits, DEFAULT_POD_PIDS_LIMIT } from './run-pod';
export { restartDelay, BACKOFF_INITIAL_SECONDS, BACKOFF_MAX_SECONDS } from './backoff';
export { AGENT_MARKER } from './netns-agent';
export { PodPaths, containerId, pauseId, uidPrefix } from './paths';
export type { PodRecord, ContainerRecord } from './state';

export interface NativeRuntime extends PodRuntime {
  readonly home: string;
  /** Which OCI runtimes are installed and whether each works here (for `doctor` and `describe`). */
  ociRuntimes(): Promise<RuntimeVerdict[]>;
  /** Stops supervising (watchers, probes, restarts, helpers) in this process; pods keep running. */
  close(): Promise<void>;
}

export function createNativeRuntime(options: NativeRuntimeOptions): NativeRuntime {
  const ctx = new RuntimeContext(options);
  const supervisor = new Supervisor(ctx);
  const watched = (uid: string) => supervisor.isWatching(uid);
  return {
    home: ctx.home,
    runPod: (req, onEvent) => runPod(ctx, supervisor, req, onEvent),
    stopPod: (req) => stopPod(ctx, supervisor, req),
    deletePod: (req) => deletePod(ctx, supervisor, req),
    podStatus: (pod) => podStatus(ctx, supervisor, pod, watched),
    listPods: () => listPods(ctx, supervisor, watched),
    podNetns: (pod) => podNetns(ctx, pod),
    exec: (req: ExecRequest) => execInPod(ctx, req),
    logs: (req: LogsRequest, signal?: AbortSignal) => podLogs(ctx, req, signal),
    reconcile: () => reconcile(ctx, supervisor),
    watch(listener: (e: PodEvent) => void) {
      ctx.listeners.add(listener);
      return () => void ctx.listeners.delete(listener);
    },
    ociRuntimes: () => detectOciRuntimes(ctx.home),
    async close() {
      supervisor.close();
    },
  };
}
