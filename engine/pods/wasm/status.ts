// PodStatus of a wasm pod, with exactly the native runtime's rules (engine/pods/native/status.ts): the two
// files are put back together as a native pod record, so phase, conditions and container statuses are
// computed by the same code and read the same in `-o json`.
import type { OciRuntimeInfo } from '../../runtime';
import type { PodObject } from '../native/pod-spec';
import type { ContainerKind, ContainerRecord, PodLifecycle, PodRecord } from '../native/state';
import { refreshConditions, toPodStatus } from '../native/status';
import type { PodStatus } from '../types';
import type { ContainerPlan, SupervisorState, WasmContainerRecord, WasmPodRecord } from './records';

export const RUNTIME_CLASS = 'pod-wasm';
const NO_OCI_RUNTIME: OciRuntimeInfo = { name: 'node:wasi', path: process.execPath, version: process.version };

/** Every container of the pod as it is before the supervisor reports: waiting. */
export function initialContainers(pod: PodObject, plans: ContainerPlan[] = []): WasmContainerRecord[] {
  const specs = [
    ...(pod.spec.initContainers ?? []).map((c) => ({ spec: c, kind: (c.restartPolicy === 'Always' ? 'sidecar' : 'init') as ContainerKind })),
    ...pod.spec.containers.map((c) => ({ spec: c, kind: 'app' as ContainerKind })),
  ];
  return specs.map(({ spec, kind }) => ({
    name: spec.name,
    kind,
    image: spec.image ?? '',
    ...(plans.find((p) => p.name === spec.name)?.imageID ? { imageID: plans.find((p) => p.name === spec.name)!.imageID } : {}),
    restartCount: 0,
    state: { waiting: { reason: kind === 'app' ? 'ContainerCreating' : 'PodInitializing' } },
    lastState: {},
    ready: false,
    started: false,
  }));
}

/** The pod's lifecycle from both files: the supervisor ends a pod whose work is done by itself. */
export function effectiveLifecycle(pod: WasmPodRecord, state: SupervisorState | undefined): PodLifecycle {
  if (pod.lifecycle !== 'running') return pod.lifecycle;
  if (state?.phase === 'stopping') return 'stopping';
  if (state?.phase === 'stopped' || state?.phase === 'failed') return 'stopped';
  return 'running';
}

function nativeContainer(c: WasmContainerRecord): ContainerRecord {
  const { instance, fuelLeft: _fuel, ...rest } = c;
  return {
    ...rest,
    ...(instance ? { process: { id: instance, socketId: '', pid: 0, conmonPid: 0 } } : {}),
    stopSignal: 'SIGKILL',
  };
}

/** The native record this pod would be: what native's phase, condition and status code read. */
export function asNativeRecord(pod: WasmPodRecord, state: SupervisorState | undefined): PodRecord {
  const lifecycle = effectiveLifecycle(pod, state);
  const sandboxUp = lifecycle === 'running' || lifecycle === 'stopping';
  return {
    version: 1,
    uid: pod.uid,
    name: pod.name,
    namespace: pod.namespace,
    createdAt: pod.createdAt,
    ...(state?.startTime ? { startTime: state.startTime } : {}),
    lifecycle,
    ociRuntime: NO_OCI_RUNTIME,
    hostname: pod.hostname,
    ...(pod.fileName ? { fileName: pod.fileName } : {}),
    pod: pod.pod,
    // The supervisor plays the pause container's part: while it is up the pod can start containers.
    ...(sandboxUp && state && pod.supervisor ? { pause: { id: 'supervisor', socketId: '', pid: pod.supervisor.pid, conmonPid: pod.supervisor.pid } } : {}),
    containers: (state?.containers ?? initialContainers(pod.pod, pod.plans)).map(nativeContainer),
    conditions: structuredClone(state?.conditions ?? []),
    ...((state?.reason ?? pod.reason) ? { reason: state?.reason ?? pod.reason } : {}),
    ...((state?.message ?? pod.message) ? { message: state?.message ?? pod.message } : {}),
    warnings: pod.warnings,
  };
}

/** Recomputes the state's conditions (transition times move only when a status does). */
export function refreshStateConditions(pod: WasmPodRecord, state: SupervisorState): void {
  const record = asNativeRecord(pod, state);
  refreshConditions(record);
  state.conditions = record.conditions;
}

export function toWasmPodStatus(pod: WasmPodRecord, state: SupervisorState | undefined): PodStatus {
  const record = asNativeRecord(pod, state);
  if (!state) refreshConditions(record, pod.createdAt);
  const status = toPodStatus(record);
  delete status.ociRuntime;
  status.runtimeClassName = RUNTIME_CLASS;
  return status;
}
