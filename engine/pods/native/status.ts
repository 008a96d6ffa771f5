// PodStatus from a pod record, with the kubelet's rules: the phase from container states and the restart
// policy (getPhase), conditions that keep their transition times, and per-container statuses.
import type { ContainerStatus, PodCondition, PodPhase, PodStatus } from '../types';
import type { ContainerRecord, PodRecord } from './state';

export function restartPolicy(record: PodRecord): 'Always' | 'OnFailure' | 'Never' {
  return record.pod.spec.restartPolicy ?? 'Always';
}

function initDone(c: ContainerRecord): boolean {
  if (c.kind === 'sidecar') return c.started || c.restartCount > 0 || !!c.state.terminated;
  return c.state.terminated?.exitCode === 0 || (c.lastState.terminated?.exitCode === 0 && !c.state.running);
}

export function podPhase(record: PodRecord): PodPhase {
  if (record.lifecycle === 'creating') return 'Pending';
  if (record.reason === 'Evicted') return 'Failed';
  const inits = record.containers.filter((c) => c.kind !== 'app');
  const apps = record.containers.filter((c) => c.kind === 'app');
  if (!inits.every(initDone)) return 'Pending';
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of apps) {
    if (c.state.running) running++;
    else if (c.state.terminated) {
      stopped++;
      if (c.state.terminated.exitCode === 0) succeeded++;
    } else if (c.lastState.terminated) stopped++;
    else waiting++;
  }
  if (record.reason === 'SandboxDied') return 'Failed';
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped === 0) return 'Pending';
  // A stopped pod will not restart anything, whatever its policy says.
  const policy = record.lifecycle === 'stopped' || record.lifecycle === 'stopping' ? 'Never' : restartPolicy(record);
  if (policy === 'Always') return 'Running';
  if (stopped === succeeded) return 'Succeeded';
  return policy === 'Never' ? 'Failed' : 'Running';
}

/** Sets a condition; reason and message are kept only while it is False, as the kubelet does. */
function setCondition(record: PodRecord, type: PodCondition['type'], ok: boolean, now: string, reason?: string, message?: string): void {
  const status = ok ? 'True' : 'False';
  let c = record.conditions.find((x) => x.type === type);
  if (!c) {
    c = { type, status, lastTransitionTime: now };
    record.conditions.push(c);
  } else if (c.status !== status) {
    c.status = status;
    c.lastTransitionTime = now;
  }
  if (reason && !ok) c.reason = reason;
  else delete c.reason;
  if (message && !ok) c.message = message;
  else delete c.message;
}

/** Recomputes the pod conditions in place; a transition time changes only when the status does. */
export function refreshConditions(record: PodRecord, now = new Date().toISOString()): void {
  const pauseUp = !!record.pause && record.lifecycle !== 'stopped';
  const inits = record.containers.filter((c) => c.kind !== 'app');
  const initialized = inits.every(initDone);
  const apps = record.containers.filter((c) => c.kind === 'app');
  const containersReady = apps.length > 0 && apps.every((c) => c.ready);
  // The kubelet's messages: which containers hold the condition back.
  const incomplete = inits.filter((c) => !initDone(c)).map((c) => c.name);
  const notReady = apps.filter((c) => !c.ready).map((c) => c.name);
  const unready = notReady.length ? `containers with unready status: [${notReady.join(' ')}]` : undefined;
  setCondition(record, 'PodScheduled', true, record.createdAt);
  setCondition(record, 'PodReadyToStartContainers', pauseUp, now);
  setCondition(record, 'Initialized', initialized, now, 'ContainersNotInitialized', incomplete.length ? `containers with incomplete status: [${incomplete.join(' ')}]` : undefined);
  setCondition(record, 'ContainersReady', containersReady, now, 'ContainersNotReady', unready);
  setCondition(record, 'Ready', containersReady, now, 'ContainersNotReady', unready);
}

function containerStatus(record: PodRecord, c: ContainerRecord): ContainerStatus {
  return {
    name: c.name,
    image: c.image,
    imageID: c.imageID ?? '',
    containerID: c.process ? `podsmith://${c.process.id}` : c.lastId ? `podsmith://${c.lastId}` : '',
    state: structuredClone(c.state),
    lastState: structuredClone(c.lastState),
    ready: c.ready,
    started: c.started,
    restartCount: c.restartCount,
  };
}

/** deletionTimestamp and its grace period while a stop or delete is under way (Terminating). */
function deletionOf(record: PodRecord): Pick<PodStatus, 'deletionTimestamp' | 'deletionGracePeriodSeconds'> {
  if (record.lifecycle !== 'stopping' && record.lifecycle !== 'deleting') return {};
  const d = record.deletion;
  return { deletionTimestamp: d?.timestamp ?? new Date().toISOString(), deletionGracePeriodSeconds: d?.gracePeriodSeconds ?? 0 };
}

export function toPodStatus(record: PodRecord): PodStatus {
  return {
    uid: record.uid,
    name: record.name,
    namespace: record.namespace,
    runtimeClassName: record.pod.spec.runtimeClassName ?? 'pod-containers',
    ociRuntime: record.ociRuntime.name,
    phase: podPhase(record),
    ...(record.reason ? { reason: record.reason } : {}),
    ...(record.message ? { message: record.message } : {}),
    conditions: structuredClone(record.conditions),
    hostname: record.hostname,
    ...(record.podIP ? { podIP: record.podIP, podIPs: record.podIPs ?? [record.podIP] } : {}),
    ...(record.startTime ? { startTime: record.startTime } : {}),
    ...deletionOf(record),
    initContainerStatuses: record.containers.filter((c) => c.kind !== 'app').map((c) => containerStatus(record, c)),
    containerStatuses: record.containers.filter((c) => c.kind === 'app').map((c) => containerStatus(record, c)),
    ...(record.warnings?.length ? { warnings: [...record.warnings] } : {}),
  };
}
