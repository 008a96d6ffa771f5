// Kubernetes events that are not state changes (those come from RuntimeContext.save): what the kubelet records
// as it works (Created, Killing, Unhealthy, FailedPostStartHook, FailedPreStopHook, Failed), with its reasons
// and the shape of its messages.
import type { PodError, PodEvent } from '../types';
import type { RuntimeContext } from './context';
import type { Handler } from './handlers';
import type { PodRecord } from './state';

export type KubeletReason = 'Created' | 'Killing' | 'Unhealthy' | 'Failed' | 'FailedPostStartHook' | 'FailedPreStopHook';

export function occur(ctx: RuntimeContext, record: PodRecord, container: string | undefined, severity: 'Normal' | 'Warning', reason: KubeletReason, message: string): void {
  const e: PodEvent = { type: 'occurrence', time: new Date().toISOString(), pod: record.name, uid: record.uid, ...(container ? { container } : {}), severity, reason, message };
  ctx.emit(e);
}

/** A handler in a few words: `exec [sh -c ...]`, `GET http://127.0.0.1:8080/ready`, `tcp :5432`, `sleep 3s`. */
export function describeHandler(h: Handler): string {
  if (h.exec) return `exec ${JSON.stringify(h.exec.command ?? [])}`;
  if (h.httpGet) return `GET ${(h.httpGet.scheme ?? 'HTTP').toLowerCase()}://${h.httpGet.host || '127.0.0.1'}:${h.httpGet.port}${h.httpGet.path ?? '/'}`;
  if (h.tcpSocket) return `tcp ${h.tcpSocket.host ?? ''}:${h.tcpSocket.port}`;
  if (h.grpc) return `grpc :${h.grpc.port}`;
  if (h.sleep) return `sleep ${h.sleep.seconds}s`;
  return 'no action';
}

/** The FailedPostStartHook / FailedPreStopHook message. */
export function hookFailedMessage(hook: 'PostStart' | 'PreStop', container: string, h: Handler, why: string): string {
  return `${hook}Hook of container ${container} failed (${describeHandler(h)}): ${why.trim() || 'no message'}`;
}

/** The Failed pod event's reason for a `run` that failed: the kubelet's words, not the PodError code. */
export function runFailedReason(error: PodError): string {
  return error.details?.container === 'POD' ? 'FailedCreatePodSandBox' : 'Failed';
}
