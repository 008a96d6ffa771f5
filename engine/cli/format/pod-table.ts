// `podsmith ps` columns, computed the way `kubectl get pods` computes them (STATUS from the first failing init
// container, else the last app container that has a reason), and a tabwriter-like table.
import type { ContainerStatus, PodStatus } from '../../pods/types';
import { age, humanDuration } from './duration';

export function podStatusText(p: PodStatus): string {
  let reason = p.reason || p.phase;
  const inits = p.initContainerStatuses;
  for (let i = 0; i < inits.length; i++) {
    const c = inits[i];
    const { terminated: t, waiting: w, running: r } = c.state;
    if (t && t.exitCode === 0) continue;
    // A native sidecar (restartable init container) that has started does not hold the pod in Init.
    if (r && c.started) continue;
    if (t) return 'Init:' + (t.reason || terminatedCode(t));
    if (w?.reason && w.reason !== 'PodInitializing') return 'Init:' + w.reason;
    return `Init:${i}/${inits.length}`;
  }
  let hasReadyRunning = false;
  for (const c of [...p.containerStatuses].reverse()) {
    const { waiting: w, terminated: t, running: r } = c.state;
    if (w?.reason) reason = w.reason;
    else if (t) reason = t.reason || terminatedCode(t);
    else if (r && c.ready) hasReadyRunning = true;
  }
  if (reason === 'Completed' && hasReadyRunning) reason = isReady(p) ? 'Running' : 'NotReady';
  // kubectl: a pod with a deletionTimestamp is Terminating, whatever its containers say.
  if (p.deletionTimestamp) return 'Terminating';
  return reason;
}

function terminatedCode(t: { signal?: number; exitCode: number }): string {
  return t.signal ? `Signal:${t.signal}` : `ExitCode:${t.exitCode}`;
}

export function isReady(p: PodStatus): boolean {
  return p.conditions.some((c) => c.type === 'Ready' && c.status === 'True');
}

export function readyText(p: PodStatus): string {
  const ready = p.containerStatuses.filter((c) => c.ready).length;
  return `${ready}/${p.containerStatuses.length}`;
}

/** Total restarts, with how long ago the last one was, as kubectl shows it: `3 (2m ago)`. */
export function restartsText(p: PodStatus, now: number): string {
  const all: ContainerStatus[] = [...p.initContainerStatuses, ...p.containerStatuses];
  const total = all.reduce((n, c) => n + c.restartCount, 0);
  const last = Math.max(...all.filter((c) => c.restartCount > 0).map((c) => Date.parse(c.lastState.terminated?.finishedAt ?? '') || 0), 0);
  return total > 0 && last > 0 ? `${total} (${humanDuration(now - last)} ago)` : String(total);
}

export function podRows(pods: PodStatus[], wide: boolean, now: number): string[][] {
  const head = ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'];
  const rows = pods.map((p) => [p.name, readyText(p), podStatusText(p), restartsText(p, now), age(p.startTime, now)]);
  if (!wide) return [head, ...rows];
  return [
    [...head, 'RUNTIME', 'OCI', 'IP'],
    ...rows.map((r, i) => [...r, pods[i].runtimeClassName || '<none>', pods[i].ociRuntime ?? '<none>', pods[i].podIP ?? '<none>']),
  ];
}

/** Columns padded to their widest cell, three spaces apart (kubectl's tabwriter settings). */
export function renderTable(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] + 3))).join('') + '\n').join('');
}
