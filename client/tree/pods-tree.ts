// The Podsmith view: hosts → pods → containers, live from the daemon's event stream. Node objects are kept
// per pod and container, with ids that never carry state, so a change refreshes exactly one pod's subtree
// (onDidChangeTreeData(node)) and the view keeps selection and expansion. Empty and error states are the
// view's welcome content (package.json viewsWelcome), chosen by the `podsmith.engine.state` context key.
import * as vscode from 'vscode';
import type { ContainerStatus, PodStatus } from '../../engine/pods/types';
import type { HasPodRef, PodRef } from '../engine/access';
import type { EngineConnection } from '../engine/connection';
import type { PodStore } from '../engine/pod-store';
import type { Ctx } from '../ctx';
import type { DoctorReports } from '../doctor/doctor-report';
import { containerDescription, containerStateKey, containerTone, podDescription, podTone, type Tone } from './pod-text';

export const VIEW_ID = 'podsmith.pods';

export class HostNode {
  readonly kind = 'host';
  constructor(readonly host: string) {}
}

export class PodNode implements HasPodRef {
  readonly kind = 'pod';
  constructor(
    readonly host: string,
    readonly namespace: string,
    readonly name: string,
  ) {}
  get podRef(): PodRef {
    return { host: this.host, pod: this.name };
  }
}

export class ContainerNode implements HasPodRef {
  readonly kind = 'container';
  constructor(
    readonly host: string,
    readonly namespace: string,
    readonly pod: string,
    readonly container: string,
    readonly init: boolean,
  ) {}
  get podRef(): PodRef {
    return { host: this.host, pod: this.pod, container: this.container };
  }
}

export type PodsTreeNode = HostNode | PodNode | ContainerNode;

const podId = (host: string, namespace: string, name: string): string => `${host}/${namespace}/${name}`;

/** How a remote host's state reads on its line: text, icon, icon color. */
const REMOTE_STATES: Record<string, [string, string, string | undefined]> = {
  idle: ['not connected', 'remote', undefined],
  connecting: ['connecting…', 'sync~spin', undefined],
  connected: ['connected', 'remote', 'testing.iconPassed'],
  unreachable: ['unreachable', 'debug-disconnect', 'list.warningForeground'],
  'auth-failed': ['authentication failed', 'lock', 'testing.iconFailed'],
  'host-key-refused': ['host key refused', 'shield', 'testing.iconFailed'],
  unavailable: ['engine unavailable', 'error', 'testing.iconFailed'],
  stopped: ['engine stopped (pods keep running)', 'debug-pause', undefined],
};

const TONE_ICONS: Record<Tone, [string, string | undefined]> = {
  ok: ['pass-filled', 'testing.iconPassed'],
  busy: ['sync~spin', undefined],
  warn: ['warning', 'list.warningForeground'],
  error: ['error', 'testing.iconFailed'],
  done: ['check', 'descriptionForeground'],
  unknown: ['question', undefined],
};

function icon(tone: Tone): vscode.ThemeIcon {
  const [id, color] = TONE_ICONS[tone];
  return new vscode.ThemeIcon(id, color ? new vscode.ThemeColor(color) : undefined);
}

export class PodsTree implements vscode.TreeDataProvider<PodsTreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<PodsTreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly hosts = new Map<string, HostNode>();
  private readonly pods = new Map<string, PodNode>();
  private readonly containers = new Map<string, ContainerNode>();
  /** Which hosts the root showed last time: a host appearing or going needs a root refresh. */
  private shownHosts = new Set<string>();
  /** Hosts whose pods the view has asked for already. */
  private readonly looked = new Set<string>();
  private readonly subs: vscode.Disposable[] = [];
  /** The running count each host's row last showed. */
  private readonly shownRunning = new Map<string, number>();
  /** Subscriptions per host, made and dropped as hosts come and go. */
  private readonly hostSubs = new Map<EngineConnection, vscode.Disposable[]>();

  constructor(private readonly ctx: Ctx) {
    this.follow();
    this.subs.push(
      ctx.engine.onDidChangeHosts(() => {
        this.follow();
        this.changed.fire(undefined);
      }),
    );
  }

  private follow(): void {
    const now = new Set(this.ctx.engine.hosts());
    for (const [conn, subs] of this.hostSubs) {
      if (now.has(conn)) continue;
      subs.forEach((d) => d.dispose());
      this.hostSubs.delete(conn);
      this.looked.delete(conn.host);
    }
    for (const conn of now) {
      if (this.hostSubs.has(conn)) continue;
      const store = this.ctx.engine.store(conn.host);
      this.hostSubs.set(conn, [
        conn.onDidChangeState(() => this.changed.fire(conn.kind === 'remote' && this.shownHosts.has(conn.host) ? this.hostNode(conn.host) : undefined)),
        store.onDidChange((c) => {
          if (c.kind === 'changed') {
            // The host's description counts running pods: when that count moves, the host row is redrawn
            // (its pods with it); otherwise only the pod's row.
            const running = this.runningCount(c.host);
            if (running !== this.shownRunning.get(c.host)) {
              this.shownRunning.set(c.host, running);
              this.changed.fire(this.shownHosts.has(c.host) ? this.hostNode(c.host) : undefined);
              return;
            }
            const node = this.pods.get(podId(c.host, c.pod.namespace, c.pod.name));
            if (node) this.changed.fire(node);
            return;
          }
          const visible = this.visible(conn);
          if (visible !== this.shownHosts.has(c.host)) this.changed.fire(undefined);
          else this.changed.fire(this.hostNode(c.host));
        }),
      ]);
    }
  }

  private runningCount(host: string): number {
    return this.ctx.engine.store(host).list().filter((p) => p.phase === 'Running').length;
  }

  /** Remote hosts always show (with their state); this machine when it has pods, or beside remote hosts. */
  private visible(conn: EngineConnection): boolean {
    if (conn.kind === 'remote') return true;
    return this.ctx.engine.store(conn.host).list().length > 0 || this.ctx.engine.remoteHosts().length > 0;
  }

  private hostNode(host: string): HostNode {
    let n = this.hosts.get(host);
    if (!n) this.hosts.set(host, (n = new HostNode(host)));
    return n;
  }

  private podNode(host: string, p: PodStatus): PodNode {
    const id = podId(host, p.namespace, p.name);
    let n = this.pods.get(id);
    if (!n) this.pods.set(id, (n = new PodNode(host, p.namespace, p.name)));
    return n;
  }

  private containerNode(host: string, p: PodStatus, c: ContainerStatus, init: boolean): ContainerNode {
    const id = `${podId(host, p.namespace, p.name)}/${c.name}`;
    let n = this.containers.get(id);
    if (!n || n.init !== init) this.containers.set(id, (n = new ContainerNode(host, p.namespace, p.name, c.name, init)));
    return n;
  }

  /** The pod's current status, or undefined when it is gone. */
  status(node: PodNode | ContainerNode): PodStatus | undefined {
    const name = node instanceof PodNode ? node.name : node.pod;
    return this.ctx.engine.store(node.host).byName(name, node.namespace);
  }

  /**
   * Opening the view is asking for the engine: the first time the view is looked at in a window, the daemon is
   * started when none runs. Later (the daemon was stopped, or died) it is not restarted behind the user's back:
   * the welcome content offers Start, and a daemon started elsewhere is joined by itself.
   */
  private ensureConnected(conn: EngineConnection): void {
    const first = !this.looked.has(conn.host);
    this.looked.add(conn.host);
    if (!first || conn.state === 'connected' || conn.state === 'connecting' || conn.state === 'unavailable') return;
    conn.client(true).catch(() => {}); // failures become the host's state (the welcome content, or the host's line)
  }

  getChildren(node?: PodsTreeNode): PodsTreeNode[] {
    if (!node) {
      const roots: HostNode[] = [];
      for (const conn of this.ctx.engine.hosts()) {
        this.ensureConnected(conn);
        // An empty local host is left out, so the view shows its welcome content (run a manifest, start the engine).
        if (this.visible(conn)) roots.push(this.hostNode(conn.host));
      }
      this.shownHosts = new Set(roots.map((r) => r.host));
      return roots;
    }
    if (node instanceof HostNode) {
      const store: PodStore = this.ctx.engine.store(node.host);
      return store.list().map((p) => this.podNode(node.host, p));
    }
    if (node instanceof PodNode) {
      const p = this.status(node);
      if (!p) return [];
      return [...p.initContainerStatuses.map((c) => this.containerNode(node.host, p, c, true)), ...p.containerStatuses.map((c) => this.containerNode(node.host, p, c, false))];
    }
    return [];
  }

  getParent(node: PodsTreeNode): PodsTreeNode | undefined {
    if (node instanceof ContainerNode) return this.pods.get(podId(node.host, node.namespace, node.pod));
    if (node instanceof PodNode) return this.hostNode(node.host);
    return undefined;
  }

  getTreeItem(node: PodsTreeNode): vscode.TreeItem {
    if (node instanceof HostNode) return this.hostItem(node);
    if (node instanceof PodNode) return this.podItem(node);
    return this.containerItem(node);
  }

  private hostItem(node: HostNode): vscode.TreeItem {
    const conn = this.ctx.engine.connection(node.host);
    const pods = this.ctx.engine.store(node.host).list();
    const running = this.runningCount(node.host);
    this.shownRunning.set(node.host, running);
    const item = new vscode.TreeItem(node.host, vscode.TreeItemCollapsibleState.Expanded);
    item.id = `host:${node.host}`;
    const count = `${pods.length} pod${pods.length === 1 ? '' : 's'}, ${running} running`;
    if (conn.kind === 'local') {
      item.iconPath = new vscode.ThemeIcon('vm');
      item.description = count;
      item.contextValue = 'podsmithHost.local';
    } else {
      const [text, icon, color] = REMOTE_STATES[conn.state] ?? [conn.state, 'remote', undefined];
      item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
      item.description = conn.state === 'connected' ? count : text;
      item.contextValue = `podsmithHost.remote.${conn.state}`;
    }
    item.tooltip = `${conn.describeLocation()}${conn.error ? `\n\n${conn.error}` : ''}`;
    return item;
  }

  private podItem(node: PodNode): vscode.TreeItem {
    const p = this.status(node);
    const item = new vscode.TreeItem(node.namespace === 'default' ? node.name : `${node.namespace}/${node.name}`, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `pod:${podId(node.host, node.namespace, node.name)}`;
    if (!p) return item;
    item.description = podDescription(p, Date.now());
    item.iconPath = icon(podTone(p));
    const tip = new vscode.MarkdownString(undefined, true);
    tip.appendMarkdown(`**${p.name}** — ${p.phase}${p.reason ? ` (${p.reason})` : ''}\n\n`);
    if (p.message) tip.appendText(`${p.message}\n\n`);
    tip.appendMarkdown(`runtime class \`${p.runtimeClassName || 'pod-containers'}\`${p.ociRuntime ? `, OCI runtime \`${p.ociRuntime}\`` : ''}\n\n`);
    tip.appendMarkdown(`IP ${p.podIP ?? 'none'} · started ${p.startTime ?? 'not yet'}`);
    for (const w of p.warnings ?? []) tip.appendText(`\n\n⚠ ${w}`);
    item.tooltip = tip;
    item.contextValue = `podsmithPod.${p.phase.toLowerCase()}${p.podIP ? '.ip' : ''}`;
    return item;
  }

  private containerItem(node: ContainerNode): vscode.TreeItem {
    const p = this.status(node);
    const c = p && [...p.initContainerStatuses, ...p.containerStatuses].find((x) => x.name === node.container);
    const item = new vscode.TreeItem(node.container, vscode.TreeItemCollapsibleState.None);
    item.id = `container:${podId(node.host, node.namespace, node.pod)}/${node.container}`;
    if (!c) return item;
    item.description = containerDescription(c, node.init);
    item.iconPath = icon(containerTone(c, node.init));
    item.tooltip = `${c.image}\n${c.imageID}${c.containerID ? `\n${c.containerID}` : ''}`;
    item.contextValue = `podsmithContainer.${containerStateKey(c)}`;
    return item;
  }

  dispose(): void {
    this.subs.forEach((s) => s.dispose());
    for (const subs of this.hostSubs.values()) subs.forEach((d) => d.dispose());
    this.changed.dispose();
  }
}

/** Registers the view and keeps its message and context keys in step with the engine's state. */
export function registerTree(ctx: Ctx, doctor: DoctorReports): { tree: PodsTree; view: vscode.TreeView<PodsTreeNode> } {
  const tree = new PodsTree(ctx);
  const view = vscode.window.createTreeView(VIEW_ID, { treeDataProvider: tree, showCollapseAll: true });
  const conn = ctx.engine.local;
  const update = (): void => {
    void vscode.commands.executeCommand('setContext', 'podsmith.engine.state', conn.state);
    void vscode.commands.executeCommand('setContext', 'podsmith.engine.cannotRunPods', !!doctor.problem);
    if (conn.state === 'unavailable') view.message = `The Podsmith engine is not available: ${conn.error ?? 'unknown error'}`;
    else if (doctor.problem) view.message = `This host cannot run pods: ${doctor.problem}`;
    else view.message = undefined;
    // The doctor's verdict, once per home, when someone looks at the view of a live engine.
    if (view.visible && conn.state === 'connected') void doctor.check(update);
  };
  update();
  ctx.extension.subscriptions.push(tree, view, conn.onDidChangeState(update), view.onDidChangeVisibility(update));
  return { tree, view };
}
