// The pods of one host as the extension knows them: the daemon's list when a connection starts, then kept
// current from its event stream. An event names one pod; only that pod is fetched again (no polling, no full
// reloads), and a burst of events for one pod costs one fetch in flight plus at most one more.
import * as vscode from 'vscode';
import type { DaemonClient } from '../../engine/client/daemon-client';
import { PodError, type PodEvent, type PodStatus } from '../../engine/pods/types';
import type { EngineConnection } from './connection';

export type PodChange =
  | { kind: 'reset'; host: string }
  | { kind: 'added' | 'changed' | 'removed'; host: string; pod: PodStatus };

export class PodStore implements vscode.Disposable {
  private readonly pods = new Map<string, PodStatus>();
  /** Fetches in flight per uid; `again` asks for one more when events arrived meanwhile. */
  private readonly inFlight = new Map<string, { again: boolean }>();
  /** uids fetched one by one while a full list was loading: their newer state wins over the list's. */
  private touchedDuringLoad?: Set<string>;
  private loadedFor?: DaemonClient;
  private loadWaiters: (() => void)[] = [];
  private readonly emitter = new vscode.EventEmitter<PodChange>();
  readonly onDidChange = this.emitter.event;
  private readonly subs: vscode.Disposable[];

  constructor(readonly connection: EngineConnection) {
    this.subs = [
      connection.onDidConnect((c) => void this.load(c)),
      connection.onDidChangeState(() => {
        if (connection.state !== 'connected') this.clear();
      }),
      connection.onEvent((e) => this.onEvent(e)),
    ];
  }

  get host(): string {
    return this.connection.host;
  }

  /** True once the list of the current connection is in. */
  get loaded(): boolean {
    return this.loadedFor !== undefined && this.loadedFor === this.connection.connected();
  }

  /** Resolves when the current connection's list is loaded. */
  whenLoaded(): Promise<void> {
    if (this.loaded) return Promise.resolve();
    return new Promise((r) => this.loadWaiters.push(r));
  }

  list(): PodStatus[] {
    return [...this.pods.values()].sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  }

  byName(name: string, namespace?: string): PodStatus | undefined {
    for (const p of this.pods.values()) if (p.name === name && (namespace === undefined || p.namespace === namespace)) return p;
    return undefined;
  }

  private async load(client: DaemonClient): Promise<void> {
    this.touchedDuringLoad = new Set();
    let list: PodStatus[];
    try {
      list = await client.listPods();
    } catch {
      this.touchedDuringLoad = undefined;
      return; // the connection went away; the next one loads again
    }
    if (client !== this.connection.connected()) return;
    const touched = this.touchedDuringLoad;
    this.touchedDuringLoad = undefined;
    const next = new Map(list.map((p) => [p.uid, p]));
    for (const uid of touched) {
      const fresh = this.pods.get(uid);
      if (fresh) next.set(uid, fresh);
      else next.delete(uid);
    }
    this.pods.clear();
    for (const [uid, p] of next) this.pods.set(uid, p);
    this.loadedFor = client;
    this.emitter.fire({ kind: 'reset', host: this.host });
    const waiters = this.loadWaiters;
    this.loadWaiters = [];
    waiters.forEach((w) => w());
  }

  private clear(): void {
    this.loadedFor = undefined;
    if (this.pods.size === 0) return;
    this.pods.clear();
    this.emitter.fire({ kind: 'reset', host: this.host });
  }

  private onEvent(e: PodEvent): void {
    if (e.type === 'pull') return;
    this.touchedDuringLoad?.add(e.uid);
    if (e.type === 'pod' && e.reason === 'Deleted') {
      this.remove(e.uid);
      return;
    }
    void this.refresh(e.uid);
  }

  /** Fetches one pod again (after an event, or after a command changed it). */
  async refresh(uid: string): Promise<void> {
    const running = this.inFlight.get(uid);
    if (running) {
      running.again = true;
      return;
    }
    const state = { again: true };
    this.inFlight.set(uid, state);
    try {
      while (state.again) {
        state.again = false;
        const client = this.connection.connected();
        if (!client) return;
        try {
          this.put(await client.getPod(uid));
        } catch (err) {
          if (err instanceof PodError && err.code === 'NOT_FOUND') this.remove(uid);
          else return; // the daemon went away: the reconnection reloads everything
        }
      }
    } finally {
      this.inFlight.delete(uid);
    }
  }

  private put(p: PodStatus): void {
    const had = this.pods.has(p.uid);
    this.pods.set(p.uid, p);
    this.emitter.fire({ kind: had ? 'changed' : 'added', host: this.host, pod: p });
  }

  private remove(uid: string): void {
    const p = this.pods.get(uid);
    if (!p) return;
    this.pods.delete(uid);
    this.emitter.fire({ kind: 'removed', host: this.host, pod: p });
  }

  dispose(): void {
    this.subs.forEach((s) => s.dispose());
    this.emitter.dispose();
  }
}
