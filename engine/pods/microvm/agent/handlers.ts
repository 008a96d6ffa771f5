// Probe and lifecycle handlers inside the guest: exec through `runc exec` in the container (as native pods
// do, with a pid file so a timeout kills the command itself), httpGet, tcpSocket and grpc from the guest's
// network namespace, which the pod's containers share, through the same small check helper native pods use
// (a Node process as nobody with a small heap: a hostile server in the pod cannot grow or hang the agent).
import { execToCompletion } from '../../native/exec-command';
import { resolvePort, type Handler } from '../../native/handlers';
import { NetnsAgent, type CheckResult } from '../../native/netns-agent';
import type { PodContainer } from '../../native/pod-spec';
import { oci } from './tools';

const checks = new NetnsAgent(undefined);

export function closeChecks(): void {
  checks.close();
}

export async function runGuestHandler(id: string, container: PodContainer, h: Handler, timeoutMs: number, signal?: AbortSignal): Promise<CheckResult> {
  if (h.exec) {
    const command = h.exec.command ?? [];
    if (command.length === 0) return { ok: false, message: 'exec handler has no command' };
    const r = await execToCompletion(oci, id, command, { timeoutMs, scratchDir: '/run' });
    if (r.timedOut) return { ok: false, message: `command timed out after ${timeoutMs} ms` };
    const output = r.output.trim();
    return { ok: r.exitCode === 0, message: r.exitCode === 0 ? r.output : `command exited with ${r.exitCode}${output ? `: ${output}` : ''}` };
  }
  if (h.httpGet) {
    const port = resolvePort(container, h.httpGet.port);
    if (!port) return { ok: false, message: `unknown port ${h.httpGet.port}` };
    const headers: Record<string, string> = { 'user-agent': 'kube-probe/1.36', accept: '*/*' };
    for (const x of h.httpGet.httpHeaders ?? []) headers[x.name.toLowerCase()] = x.value;
    const path = h.httpGet.path ? (h.httpGet.path.startsWith('/') ? h.httpGet.path : `/${h.httpGet.path}`) : '/';
    return checks.check({ kind: 'http', host: h.httpGet.host || '127.0.0.1', port, path, scheme: h.httpGet.scheme ?? 'HTTP', headers, timeoutMs });
  }
  if (h.tcpSocket) {
    const port = resolvePort(container, h.tcpSocket.port);
    if (!port) return { ok: false, message: `unknown port ${h.tcpSocket.port}` };
    return checks.check({ kind: 'tcp', host: h.tcpSocket.host || '127.0.0.1', port, timeoutMs });
  }
  if (h.grpc) return checks.check({ kind: 'grpc', host: '127.0.0.1', port: h.grpc.port, service: h.grpc.service, timeoutMs });
  if (h.sleep) {
    await new Promise<void>((resolve) => {
      const onAbort = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, Math.max(0, h.sleep!.seconds * 1000));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    return { ok: true, message: 'slept' };
  }
  return { ok: false, message: 'the handler has no action' };
}
