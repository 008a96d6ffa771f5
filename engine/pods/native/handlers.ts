// Running one probe or lifecycle handler against a container: exec (runc exec in the container), httpGet,
// tcpSocket and grpc (from the pod's network namespace through the agent), sleep (hooks only).
import { PodPaths } from './paths';
import type { RuntimeContext } from './context';
import { execToCompletion } from './exec-command';
import type { NetnsAgent, CheckResult } from './netns-agent';
import type { IntOrString, LifecycleHandler, PodContainer, ProbeHandler } from './pod-spec';
import type { PodRecord } from './state';

export type Handler = ProbeHandler & LifecycleHandler;

/** A named port (`http`) is looked up in the container's ports, as the kubelet does. */
export function resolvePort(container: PodContainer, port: IntOrString): number | undefined {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

export interface HandlerTarget {
  ctx: RuntimeContext;
  record: PodRecord;
  container: PodContainer;
  /** OCI id of the running instance. */
  id: string;
  agent: () => NetnsAgent;
}

export async function runHandler(t: HandlerTarget, h: Handler, timeoutMs: number, signal?: AbortSignal): Promise<CheckResult> {
  if (h.exec) {
    const command = h.exec.command ?? [];
    if (command.length === 0) return { ok: false, message: 'exec handler has no command' };
    const r = await execToCompletion(t.ctx.oci(t.record), t.id, command, { timeoutMs, scratchDir: new PodPaths(t.ctx.home, t.record.uid).dir });
    if (r.timedOut) return { ok: false, message: `command timed out after ${timeoutMs} ms` };
    const output = r.output.trim();
    return { ok: r.exitCode === 0, message: r.exitCode === 0 ? r.output : `command exited with ${r.exitCode}${output ? `: ${output}` : ''}` };
  }
  if (h.httpGet) {
    const port = resolvePort(t.container, h.httpGet.port);
    if (!port) return { ok: false, message: `unknown port ${h.httpGet.port}` };
    const headers: Record<string, string> = { 'user-agent': 'kube-probe/1.36', accept: '*/*' };
    for (const x of h.httpGet.httpHeaders ?? []) headers[x.name.toLowerCase()] = x.value;
    const path = h.httpGet.path ? (h.httpGet.path.startsWith('/') ? h.httpGet.path : `/${h.httpGet.path}`) : '/';
    return t.agent().check({ kind: 'http', host: h.httpGet.host || '127.0.0.1', port, path, scheme: h.httpGet.scheme ?? 'HTTP', headers, timeoutMs });
  }
  if (h.tcpSocket) {
    const port = resolvePort(t.container, h.tcpSocket.port);
    if (!port) return { ok: false, message: `unknown port ${h.tcpSocket.port}` };
    return t.agent().check({ kind: 'tcp', host: h.tcpSocket.host || '127.0.0.1', port, timeoutMs });
  }
  if (h.grpc) return t.agent().check({ kind: 'grpc', host: '127.0.0.1', port: h.grpc.port, service: h.grpc.service, timeoutMs });
  if (h.sleep) {
    const ms = Math.max(0, h.sleep.seconds * 1000);
    await new Promise<void>((resolve) => {
      const onAbort = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    return { ok: true, message: 'slept' };
  }
  return { ok: false, message: 'the handler has no action' };
}
