// Which container a command works on, when its argument named only the pod: the only one there is, or the
// user's pick from a QuickPick of the pod's containers with their states (from the daemon's getPod). And which
// pod, when a command came from the palette with no argument at all.
import * as vscode from 'vscode';
import type { DaemonClient } from '../engine/client/daemon-client';
import type { ContainerStatus } from '../engine/pods/types';
import type { EngineAccess, PodRef } from './engine/access';

/** The "all containers" choice of pickers that offer it. */
export const ALL_CONTAINERS = Symbol('all containers');

export interface PickOptions {
  /** The QuickPick's title. */
  title: string;
  /** Offer init containers too (logs: yes; a terminal: only running ones). */
  init: 'all' | 'running';
  /** Label of an extra first item standing for every container (logs interleaved). */
  allLabel?: string;
}

export interface ContainerItem extends vscode.QuickPickItem {
  container: string | typeof ALL_CONTAINERS;
}

/** "running", "exited 3 (Error)", "waiting: CrashLoopBackOff". */
export function stateText(s: ContainerStatus): string {
  if (s.state.running) return 'running';
  if (s.state.terminated) return `exited ${s.state.terminated.exitCode} (${s.state.terminated.reason})`;
  if (s.state.waiting) return `waiting: ${s.state.waiting.reason}`;
  return 'unknown';
}

/** The items a picker shows for this pod: init containers first, as the pod runs them. */
export function containerItems(statuses: { init: ContainerStatus[]; app: ContainerStatus[] }, opts: Pick<PickOptions, 'init' | 'allLabel'>): ContainerItem[] {
  const init = statuses.init.filter((s) => opts.init === 'all' || s.state.running);
  const items: ContainerItem[] = [
    ...init.map((s) => ({ label: s.name, description: `init container · ${stateText(s)}`, container: s.name })),
    ...statuses.app.map((s) => ({ label: s.name, description: stateText(s) + (s.restartCount ? ` · ${s.restartCount} restarts` : ''), container: s.name })),
  ];
  if (opts.allLabel && items.length > 1) items.unshift({ label: opts.allLabel, description: items.map((i) => i.label).join(', '), container: ALL_CONTAINERS });
  return items;
}

/**
 * The container to use: the only one, or the pick (undefined when the user cancelled). Rejects when the pod
 * cannot be read (not found, daemon gone): the caller shows that message.
 */
export async function pickContainer(client: DaemonClient, pod: string, opts: PickOptions): Promise<string | typeof ALL_CONTAINERS | undefined> {
  const status = await client.getPod(pod);
  const items = containerItems({ init: status.initContainerStatuses ?? [], app: status.containerStatuses ?? [] }, opts);
  const real = items.filter((i) => i.container !== ALL_CONTAINERS);
  if (real.length === 0) throw new Error(`pod ${pod} has no container to use`);
  if (real.length === 1) return real[0]!.container;
  const picked = await vscode.window.showQuickPick(items, { title: opts.title, placeHolder: `Container of pod ${pod}`, matchOnDescription: true });
  return picked?.container;
}

/** The user's pick among the local engine's pods (undefined when cancelled or there is none). */
export async function pickPod(engine: EngineAccess, title: string): Promise<PodRef | undefined> {
  const host = 'local';
  const pods = await (await engine.client(host)).listPods();
  if (pods.length === 0) {
    void vscode.window.showInformationMessage('No pods are running: run a manifest first.');
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    pods.map((p) => ({ label: p.name, description: `${p.phase} · ${p.runtimeClassName}`, pod: p.name })),
    { title, placeHolder: 'Pod' },
  );
  return picked && { host, pod: picked.pod };
}
