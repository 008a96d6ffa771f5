// PodEvents as Kubernetes-style events (type Normal/Warning, a reason, a message), for `podsmith events` and
// the Events section of `describe`. Reasons are the kubelet's where it has one (Started, BackOff, Failed,
// Killing, Unhealthy, ...), so what users know from `kubectl describe` reads the same here.
import type { PodEvent } from '../../pods/types';

export interface EventRow {
  time: string;
  type: 'Normal' | 'Warning';
  reason: string;
  object: string;
  message: string;
}

const WARNING_WAIT = new Set(['CrashLoopBackOff', 'BackOff', 'ImagePullBackOff', 'ErrImagePull', 'CreateContainerError', 'RunContainerError']);

/** History written before events carried the kubelet's reasons has PodError codes (INIT_FAILED, ...) there. */
const ERROR_CODE = /^[A-Z]+(?:_[A-Z]+)*$/;

export function eventRow(e: PodEvent): EventRow {
  const object = e.pod ? `pod/${e.pod}` : e.type === 'pull' ? `image/${e.image}` : 'pod/?';
  if (e.type === 'pod') {
    const last = e.failure?.lastLines.at(-1);
    return {
      time: e.time,
      type: e.phase === 'Failed' ? 'Warning' : 'Normal',
      reason: e.reason && ERROR_CODE.test(e.reason) ? 'Failed' : (e.reason ?? e.phase),
      object,
      // The whole tail is in `events -o json`; a table row shows the last line.
      message: (e.message ?? `Pod is ${e.phase}`) + (last ? ` (last output of ${e.failure!.container}: ${JSON.stringify(last)})` : ''),
    };
  }
  if (e.type === 'occurrence') return { time: e.time, type: e.severity, reason: e.reason, object, message: e.message };
  if (e.type === 'container') {
    if (e.state === 'running' && e.reason === 'Ready') return { time: e.time, type: 'Normal', reason: 'Ready', object, message: `Container ${e.container} is ready` };
    if (e.state === 'running' && e.reason === 'NotReady') return { time: e.time, type: 'Warning', reason: 'NotReady', object, message: `Container ${e.container} is not ready (readiness probe failing)` };
    if (e.state === 'running') return { time: e.time, type: 'Normal', reason: e.reason ?? 'Started', object, message: `Started container ${e.container}` };
    if (e.state === 'waiting') {
      const reason = e.reason ?? 'Waiting';
      if (reason === 'CrashLoopBackOff') return { time: e.time, type: 'Warning', reason: 'BackOff', object, message: `Back-off restarting failed container ${e.container} in pod ${e.pod}` };
      return { time: e.time, type: WARNING_WAIT.has(reason) ? 'Warning' : 'Normal', reason, object, message: `Container ${e.container} is waiting (${reason})` };
    }
    if (e.reason === 'StartError') return { time: e.time, type: 'Warning', reason: 'Failed', object, message: `Container ${e.container} could not start` };
    const ok = e.exitCode === 0;
    if (e.reason === 'StartError') return { time: e.time, type: 'Warning', reason: 'StartError', object, message: `Container ${e.container} could not start${e.message ? `: ${e.message}` : ''}` };
    return {
      time: e.time,
      type: ok ? 'Normal' : 'Warning',
      reason: e.reason ?? (ok ? 'Completed' : 'Error'),
      object,
      message: `Container ${e.container} exited${e.exitCode === undefined ? '' : ` with code ${e.exitCode}`}${e.message ? `: ${e.message}` : ''}`,
    };
  }
  const p = e.progress;
  switch (p.type) {
    case 'resolve':
      return { time: e.time, type: 'Normal', reason: 'Pulling', object, message: `Pulling image "${e.image}"` };
    case 'done':
      return { time: e.time, type: 'Normal', reason: 'Pulled', object, message: `Pulled image "${e.image}" (${p.digest})` };
    case 'retry':
      return { time: e.time, type: 'Warning', reason: 'Retrying', object, message: `Pulling image "${e.image}": retry ${p.attempt}: ${p.reason}` };
    default:
      return { time: e.time, type: 'Normal', reason: 'Pulling', object, message: `Pulling image "${e.image}" (${p.type})` };
  }
}
