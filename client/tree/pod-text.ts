// How a pod and a container read in the tree and the CodeLens: kubectl's STATUS word (Running, Completed,
// CrashLoopBackOff, Init:0/1), the ready count, and a container's state, restarts, last exit code and reason.
// No VS Code imports.
import { age } from '../../engine/cli/format/duration';
import { isReady, podStatusText, readyText } from '../../engine/cli/format/pod-table';
import type { ContainerState, ContainerStatus, PodStatus } from '../../engine/pods/types';

export type Tone = 'ok' | 'busy' | 'warn' | 'error' | 'done' | 'unknown';

/** "Running 2/2", "CrashLoopBackOff 0/1", "Completed 0/1". */
export function podSummary(p: PodStatus): string {
  return `${podStatusText(p)} ${readyText(p)}`;
}

/** The tree's description: status and ready count, runtime class, age. */
export function podDescription(p: PodStatus, now: number): string {
  // A rootless engine without a delegated cgroup runs the pod without its limits: said where it is seen.
  const unenforced = p.warnings?.some((w) => w.startsWith('limits not enforced')) ? ' · limits not enforced' : '';
  return `${podSummary(p)} · ${p.runtimeClassName || 'pod-containers'} · ${age(p.startTime, now)}${unenforced}`;
}

const WARN_REASONS = /BackOff|Err|Error|OOMKilled|NotReady|Unhealthy|Signal|ExitCode/;

export function podTone(p: PodStatus): Tone {
  const status = podStatusText(p);
  if (p.phase === 'Failed') return 'error';
  if (p.phase === 'Succeeded') return 'done';
  if (p.phase === 'Unknown') return 'unknown';
  if (p.phase === 'Pending') return WARN_REASONS.test(status) ? 'warn' : 'busy';
  if (WARN_REASONS.test(status) || status.startsWith('Init:')) return 'warn';
  return isReady(p) ? 'ok' : 'warn';
}

function stateText(s: ContainerState): string | undefined {
  if (s.running) return 'running';
  if (s.waiting) return s.waiting.reason || 'waiting';
  if (s.terminated) return `${s.terminated.reason || 'terminated'} (exit ${s.terminated.exitCode})`;
  return undefined;
}

/** "running · 3 restarts · last: OOMKilled (exit 137)". */
export function containerDescription(c: ContainerStatus, init: boolean): string {
  const parts = [stateText(c.state) ?? 'unknown'];
  if (c.state.running && !c.ready) parts[0] += ' (not ready)';
  if (c.restartCount > 0) parts.push(`${c.restartCount} restart${c.restartCount === 1 ? '' : 's'}`);
  const last = c.lastState.terminated;
  if (last) parts.push(`last: ${last.reason || 'terminated'} (exit ${last.exitCode})`);
  return (init ? 'init · ' : '') + parts.join(' · ');
}

export function containerTone(c: ContainerStatus, init: boolean): Tone {
  const { running, waiting, terminated } = c.state;
  if (running) return c.ready || init ? 'ok' : 'warn';
  if (waiting) return waiting.reason === 'ContainerCreating' || waiting.reason === 'PodInitializing' ? 'busy' : 'warn';
  if (terminated) return terminated.exitCode === 0 ? 'done' : 'error';
  return 'unknown';
}

/** For menus: `running`, `waiting` or `terminated`. */
export function containerStateKey(c: ContainerStatus): keyof ContainerState | 'unknown' {
  return c.state.running ? 'running' : c.state.waiting ? 'waiting' : c.state.terminated ? 'terminated' : 'unknown';
}
