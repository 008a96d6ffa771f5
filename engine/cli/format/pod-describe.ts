// `podsmith describe POD`: the layout of `kubectl describe pod` (labelled fields, a block per container,
// conditions, events), plus the runtime class and which OCI runtime runs the containers.
import type { ContainerState, ContainerStatus, PodEvent, PodStatus } from '../../pods/types';
import { age, humanDuration } from './duration';
import { eventRow } from './event-rows';
import { renderTable } from './pod-table';

class Lines {
  readonly out: string[] = [];
  field(indent: number, label: string, value: string | number | undefined): void {
    if (value === undefined || value === '') return;
    // Values start at column 18 at the top level and 20 inside containers, as in kubectl's output.
    const pad = Math.max((indent === 0 ? 18 : 20) - indent, label.length + 2);
    this.out.push(' '.repeat(indent) + `${label}:`.padEnd(pad) + String(value));
  }
  text(line: string): void {
    this.out.push(line);
  }
}

const when = (t: string | undefined): string | undefined => {
  const ms = t ? Date.parse(t) : NaN;
  return Number.isNaN(ms) ? t : new Date(ms).toUTCString();
};

export function describePod(p: PodStatus, events: PodEvent[], now: number): string {
  const l = new Lines();
  l.field(0, 'Name', p.name);
  l.field(0, 'Namespace', p.namespace);
  l.field(0, 'UID', p.uid);
  l.field(0, 'Runtime Class', p.runtimeClassName || '<none>');
  l.field(0, 'OCI Runtime', p.ociRuntime ?? '<none>');
  if (p.isolation) l.field(0, 'Isolation', p.isolation);
  l.field(0, 'Hostname', p.hostname);
  l.field(0, 'Start Time', when(p.startTime) ?? '<none>');
  // As kubectl, Terminating and the grace period while a stop or delete is under way; plus when SIGKILL is due.
  l.field(0, 'Status', p.deletionTimestamp ? `Terminating (SIGKILL in ${humanDuration(Math.max(0, Date.parse(p.deletionTimestamp) - now))})` : p.phase);
  if (p.deletionTimestamp) l.field(0, 'Termination Grace Period', `${p.deletionGracePeriodSeconds ?? 0}s`);
  l.field(0, 'Reason', p.reason);
  l.field(0, 'Message', p.message);
  l.field(0, 'IP', p.podIP ?? '<none>');
  if (p.warnings?.length) {
    // What the pod does not get here (limits a rootless engine cannot enforce, no outbound network).
    l.text('Warnings:');
    for (const w of p.warnings) l.text(`  ${w}`);
  }
  if (p.initContainerStatuses.length) {
    l.text('Init Containers:');
    for (const c of p.initContainerStatuses) container(l, c);
  }
  l.text('Containers:');
  for (const c of p.containerStatuses) container(l, c);
  if (p.conditions.length) {
    l.text('Conditions:');
    const table = renderTable([['Type', 'Status'], ...p.conditions.map((c) => [c.type, c.status])]);
    for (const row of table.trimEnd().split('\n')) l.text('  ' + row);
  }
  if (events.length === 0) l.text('Events:           <none>');
  else {
    l.text('Events:');
    const rows = events.map(eventRow).map((r) => [r.type, r.reason, age(r.time, now), 'podsmith', r.message]);
    const table = renderTable([['Type', 'Reason', 'Age', 'From', 'Message'], ['----', '------', '----', '----', '-------'], ...rows]);
    for (const row of table.trimEnd().split('\n')) l.text('  ' + row);
  }
  return l.out.join('\n') + '\n';
}

function container(l: Lines, c: ContainerStatus): void {
  l.text(`  ${c.name}:`);
  l.field(4, 'Container ID', c.containerID);
  l.field(4, 'Image', c.image);
  l.field(4, 'Image ID', c.imageID);
  state(l, 'State', c.state);
  if (c.lastState.running || c.lastState.terminated || c.lastState.waiting) state(l, 'Last State', c.lastState);
  l.field(4, 'Ready', c.ready ? 'True' : 'False');
  l.field(4, 'Restart Count', c.restartCount);
}

function state(l: Lines, label: string, s: ContainerState): void {
  if (s.running) {
    l.field(4, label, 'Running');
    l.field(6, 'Started', when(s.running.startedAt));
  } else if (s.terminated) {
    const t = s.terminated;
    l.field(4, label, 'Terminated');
    l.field(6, 'Reason', t.reason);
    l.field(6, 'Message', t.message);
    l.field(6, 'Exit Code', t.exitCode);
    l.field(6, 'Signal', t.signal);
    l.field(6, 'Started', when(t.startedAt));
    l.field(6, 'Finished', when(t.finishedAt));
  } else if (s.waiting) {
    l.field(4, label, 'Waiting');
    l.field(6, 'Reason', s.waiting.reason);
    l.field(6, 'Message', s.waiting.message);
  } else l.field(4, label, 'Unknown');
}
