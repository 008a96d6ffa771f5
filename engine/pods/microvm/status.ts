// PodStatus of a microVM pod with exactly the native runtime's rules (engine/pods/native/status.ts): the host's
// record and the agent's state are put back together as a native pod record, so phase, conditions and
// container statuses are computed by the same code. A VM that died without being asked makes the pod Failed
// whatever its restart policy says: nothing of it can run any more.
import type { OciRuntimeInfo } from '../../runtime';
import type { ContainerRecord, PodLifecycle, PodRecord } from '../native/state';
import { refreshConditions, toPodStatus } from '../native/status';
import type { PodStatus } from '../types';
import { MICROVM_RUNTIME_CLASS } from './paths';
import type { GuestContainerStatus, GuestState } from './protocol/messages';
import type { VmPodRecord } from './records';

import { TCG_NOTE } from './tcg-note';

export { TCG_NOTE };

export function isolationText(pod: VmPodRecord): string | undefined {
  if (!pod.vm) return undefined;
  const what = `microVM (QEMU ${pod.vm.accel === 'kvm' ? 'KVM' : 'TCG'}, ${pod.vm.vcpus} vCPU${pod.vm.vcpus > 1 ? 's' : ''}, ${pod.vm.memoryMiB} MiB, kernel ${pod.vm.kernel}${pod.vm.template ? ', cloned from a template' : ''})`;
  return pod.vm.accel === 'tcg' ? `${what}: ${TCG_NOTE}` : what;
}

export function initialStatuses(pod: VmPodRecord): GuestContainerStatus[] {
  return pod.containers.map((c) => ({
    name: c.name,
    kind: c.kind,
    restartCount: 0,
    state: { waiting: { reason: c.kind === 'app' ? 'ContainerCreating' : 'PodInitializing' } },
    lastState: {},
    ready: false,
    started: false,
  }));
}

export function effectiveLifecycle(pod: VmPodRecord, state: GuestState | undefined): PodLifecycle {
  if (pod.lifecycle !== 'running') return pod.lifecycle;
  if (pod.vmDied) return 'stopped';
  if (state?.phase === 'stopping') return 'stopping';
  if (state?.phase === 'stopped' || state?.phase === 'failed') return 'stopped';
  return 'running';
}

/** The state after the VM ended without being asked: every running container is gone with it. */
export function markVmDead(pod: VmPodRecord, state: GuestState | undefined, message: string): GuestState {
  const now = new Date().toISOString();
  const next: GuestState = state ? structuredClone(state) : { version: 1, uid: pod.uid, seq: 0, phase: 'stopped', containers: initialStatuses(pod), updatedAt: now };
  for (const c of next.containers) {
    if (c.state.running || c.instance) {
      c.state = {
        terminated: {
          exitCode: 137,
          reason: 'ContainerStatusUnknown',
          message: `${message}; the container ended with it`,
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
  next.updatedAt = now;
  return next;
}

function nativeContainer(pod: VmPodRecord, c: GuestContainerStatus): ContainerRecord {
  const known = pod.containers.find((k) => k.name === c.name);
  return {
    name: c.name,
    kind: c.kind,
    image: known?.image ?? '',
    ...(known?.imageID ? { imageID: known.imageID } : {}),
    restartCount: c.restartCount,
    ...(c.instance ? { process: { id: c.instance, socketId: '', pid: 0, conmonPid: 0 } } : {}),
    ...(c.lastId ? { lastId: c.lastId } : {}),
    state: c.state,
    lastState: c.lastState,
    ready: c.ready,
    started: c.started,
    ...(c.backoff ? { backoff: c.backoff } : {}),
    stopSignal: 'SIGTERM',
  };
}

function ociRuntime(pod: VmPodRecord): OciRuntimeInfo {
  const oci = pod.vm?.ociRuntime ?? 'runc';
  return { name: pod.vm ? `${oci} in a microVM (${pod.vm.accel === 'kvm' ? 'KVM' : 'TCG'})` : `${oci} in a microVM`, path: '', version: '' };
}

export function asNativeRecord(pod: VmPodRecord, state: GuestState | undefined): PodRecord {
  const lifecycle = effectiveLifecycle(pod, state);
  const sandboxUp = (lifecycle === 'running' || lifecycle === 'stopping') && !!pod.vm;
  const reason = pod.vmDied?.reason ?? state?.reason ?? pod.reason;
  const message = pod.vmDied?.message ?? state?.message ?? pod.message;
  return {
    version: 1,
    uid: pod.uid,
    name: pod.name,
    namespace: pod.namespace,
    createdAt: pod.createdAt,
    ...(state?.startTime ? { startTime: state.startTime } : {}),
    lifecycle,
    ociRuntime: ociRuntime(pod),
    hostname: pod.hostname,
    ...(pod.fileName ? { fileName: pod.fileName } : {}),
    ...(state?.podIPs?.length ? { podIP: state.podIPs[0], podIPs: state.podIPs } : {}),
    pod: pod.pod,
    // The VM plays the pause container's part: while it is up the pod can start containers.
    ...(sandboxUp ? { pause: { id: 'vm', socketId: '', pid: pod.vm!.pid, conmonPid: pod.vm!.pid } } : {}),
    containers: (state?.containers ?? initialStatuses(pod)).map((c) => nativeContainer(pod, c)),
    conditions: [],
    ...(reason ? { reason } : {}),
    ...(message ? { message } : {}),
    warnings: pod.warnings,
  };
}

export function toVmPodStatus(pod: VmPodRecord, state: GuestState | undefined): PodStatus {
  const record = asNativeRecord(pod, state);
  refreshConditions(record, state?.updatedAt ?? pod.createdAt);
  const status = toPodStatus(record);
  status.runtimeClassName = MICROVM_RUNTIME_CLASS;
  if (pod.vmDied) status.phase = 'Failed';
  const isolation = isolationText(pod);
  if (isolation) status.isolation = isolation;
  return status;
}
