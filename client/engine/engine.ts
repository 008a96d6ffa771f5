// The engine as the extension's modules see it: one connection and one pod store per host — this machine
// ("local") and every remote host of hosts.json (shared with `podsmith host`, watched for changes) — plus
// EngineAccess for the terminal and logs modules: `client(host)` is a connected daemon client on any host.
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import * as vscode from 'vscode';
import type { DaemonClient } from '../../engine/client/daemon-client';
import { hostsFilePath, readHosts, type HostEntry } from '../../engine/remote/hosts-file';
import type { SshPrompts } from '../../engine/remote/ssh-connect';
import { destinationOf } from '../../engine/remote/targets';
import type { EngineSettings } from '../config';
import { LOCAL_HOST, refOf, type EngineAccess, type PodRef } from './access';
import type { EngineConnection } from './connection';
import { engineEnv } from './engine-env';
import { HostConnection } from './host-connection';
import { PodStore } from './pod-store';
import { RemoteHostConnection } from './remote-connection';

export interface EngineOptions {
  settings(): EngineSettings;
  podsmithJs: string;
  clientName: string;
  log(line: string): void;
  /** How SSH logins ask their questions (host keys, passphrases). */
  prompts: SshPrompts;
}

export class Engine implements EngineAccess, vscode.Disposable {
  readonly local: HostConnection;
  readonly stores: Map<string, PodStore>;
  private readonly remotes = new Map<string, { entry: HostEntry; conn: RemoteHostConnection }>();
  private readonly hostsEmitter = new vscode.EventEmitter<void>();
  /** A host was added or removed (hosts.json changed). */
  readonly onDidChangeHosts = this.hostsEmitter.event;
  private watcher?: FSWatcher;
  private watchedFile?: string;
  private settle?: NodeJS.Timeout;

  constructor(private readonly opts: EngineOptions) {
    this.local = new HostConnection({ host: LOCAL_HOST, ...opts });
    this.stores = new Map([[LOCAL_HOST, new PodStore(this.local)]]);
    this.reloadHosts();
  }

  /** This machine first, then the remote hosts by name. */
  hosts(): EngineConnection[] {
    return [this.local, ...[...this.remotes.values()].map((r) => r.conn).sort((a, b) => a.host.localeCompare(b.host))];
  }

  remoteHosts(): RemoteHostConnection[] {
    return [...this.remotes.values()].map((r) => r.conn);
  }

  connection(host: string = LOCAL_HOST): EngineConnection {
    if (host === LOCAL_HOST) return this.local;
    const r = this.remotes.get(host);
    if (!r) throw new Error(`host "${host}" is not known: add it with "Podsmith: Add Remote Host" (or podsmith host add)`);
    return r.conn;
  }

  remote(host: string): RemoteHostConnection | undefined {
    return this.remotes.get(host)?.conn;
  }

  store(host: string = LOCAL_HOST): PodStore {
    this.connection(host);
    return this.stores.get(host)!;
  }

  client(host: string = LOCAL_HOST): Promise<DaemonClient> {
    return this.connection(host).client(true);
  }

  refOf(arg: unknown): PodRef | undefined {
    return refOf(arg);
  }

  hostsFile(): string {
    return hostsFilePath(engineEnv());
  }

  /** Reads hosts.json again: new hosts get a connection and a store, removed ones are closed (their pods keep running). */
  reloadHosts(): void {
    const file = this.hostsFile();
    let entries: HostEntry[];
    try {
      entries = readHosts(file);
    } catch (err) {
      this.opts.log(`remote hosts: ${(err as Error).message}`);
      return;
    }
    let changed = false;
    for (const [name, r] of this.remotes) {
      const now = entries.find((e) => e.name === name);
      if (now && now.url === r.entry.url && now.node === r.entry.node) continue;
      this.stores.get(name)?.dispose();
      this.stores.delete(name);
      r.conn.dispose();
      this.remotes.delete(name);
      changed = true;
    }
    for (const entry of entries) {
      if (this.remotes.has(entry.name)) continue;
      const conn = new RemoteHostConnection(
        { name: entry.name, dest: destinationOf(entry.url), node: entry.node, source: 'hosts.json', url: entry.url },
        { prompts: this.opts.prompts, clientName: this.opts.clientName, env: () => engineEnv(), log: this.opts.log },
      );
      this.remotes.set(entry.name, { entry, conn });
      this.stores.set(entry.name, new PodStore(conn));
      changed = true;
    }
    this.watch(file);
    if (changed) this.hostsEmitter.fire();
  }

  /** Follows hosts.json (the CLI's `podsmith host add/rm` shows up here); its directory may not exist yet. */
  private watch(file: string): void {
    if (this.watchedFile === file && this.watcher) return;
    this.watcher?.close();
    this.watcher = undefined;
    this.watchedFile = file;
    const dir = dirname(file);
    if (!existsSync(dir)) return; // created by the first host added from here, which reloads
    try {
      this.watcher = watch(dir, (_e, name) => {
        if (name && name !== 'hosts.json') return;
        clearTimeout(this.settle);
        this.settle = setTimeout(() => this.reloadHosts(), 100);
      });
      this.watcher.on('error', () => {
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch {
      // not watchable: changes made here still reload
    }
  }

  dispose(): void {
    clearTimeout(this.settle);
    this.watcher?.close();
    for (const s of this.stores.values()) s.dispose();
    this.local.dispose();
    for (const r of this.remotes.values()) r.conn.dispose();
    this.remotes.clear();
    this.hostsEmitter.dispose();
  }
}
