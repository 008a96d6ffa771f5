// One host's engine connection: the same client code as the CLI (engine/client/connect.ts), the daemon started
// on demand under a real Node, one event subscription per connection, and reconnection after the daemon goes
// away. No polling: when no daemon listens, a file-system watch on the daemon's run directory notices a new
// one (started by the CLI, or a restart) and the connection comes back with its subscription.
import { existsSync, watch, type FSWatcher } from 'node:fs';
import * as vscode from 'vscode';
import { connectDaemon } from '../../engine/client/connect';
import type { DaemonClient } from '../../engine/client/daemon-client';
import { daemonPaths, type DaemonPaths } from '../../engine/daemon/paths';
import { podsmithHome } from '../../engine/home';
import type { PodEvent } from '../../engine/pods/types';
import type { HelloResult } from '../../engine/protocol/messages';
import type { EngineSettings } from '../config';
import type { EngineConnection } from './connection';
import { engineEnv } from './engine-env';
import { findNode, type NodeChoice } from './node-binary';

/**
 * idle: not tried yet. connecting: starting or reaching the daemon. connected: live. stopped: no daemon runs
 * (pods keep running). unavailable: the engine cannot be reached or started here (see `error`).
 */
export type EngineState = 'idle' | 'connecting' | 'connected' | 'stopped' | 'unavailable';

export interface HostConnectionOptions {
  host: string;
  settings(): EngineSettings;
  /** dist/podsmith.js of this extension: the daemon is `node podsmith.js daemon`. */
  podsmithJs: string;
  clientName: string;
  log(line: string): void;
}

const NO_DAEMON = 'no podsmith daemon is running';
const WATCH_SETTLE_MS = 100;

export class HostConnection implements EngineConnection {
  readonly kind = 'local';
  state: EngineState = 'idle';
  /** Why the engine is unavailable (or why the last connection attempt failed). */
  error?: string;
  info?: HelloResult;
  private current?: DaemonClient;
  private attempt?: { autoStart: boolean; promise: Promise<DaemonClient> };
  private nodeChoice?: Promise<NodeChoice>;
  private watcher?: FSWatcher;
  private settle?: NodeJS.Timeout;
  /** Bumped by reset(): results of attempts begun before it are thrown away. */
  private generation = 0;
  private readonly stateEmitter = new vscode.EventEmitter<void>();
  private readonly connectEmitter = new vscode.EventEmitter<DaemonClient>();
  private readonly eventEmitter = new vscode.EventEmitter<PodEvent>();
  readonly onDidChangeState = this.stateEmitter.event;
  /** A new connection (first, or after a daemon restart): time to (re)load the pod list. */
  readonly onDidConnect = this.connectEmitter.event;
  readonly onEvent = this.eventEmitter.event;

  constructor(private readonly opts: HostConnectionOptions) {}

  get host(): string {
    return this.opts.host;
  }

  home(): string {
    return this.opts.settings().home || podsmithHome(engineEnv());
  }

  describeLocation(): string {
    return this.info ? `podsmith ${this.info.version}, daemon pid ${this.info.pid}\n${this.info.home}` : this.home();
  }

  paths(): DaemonPaths {
    return daemonPaths(this.home(), engineEnv());
  }

  connected(): DaemonClient | undefined {
    return this.current;
  }

  /** The Node that runs the daemon and helpers (found once per settings generation). */
  node(): Promise<NodeChoice> {
    this.nodeChoice ??= findNode({ setting: this.opts.settings().nodePath, env: engineEnv(), execPath: process.execPath, versions: process.versions });
    const p = this.nodeChoice;
    p.catch(() => {
      if (this.nodeChoice === p) this.nodeChoice = undefined; // a fixed PATH or setting is picked up next time
    });
    return p;
  }

  /** A connected client; with autoStart (default) the daemon is started when none runs. */
  async client(autoStart = true): Promise<DaemonClient> {
    if (this.current) return this.current;
    const pending = this.attempt;
    if (pending) {
      try {
        return await pending.promise;
      } catch (err) {
        // A passive probe found no daemon; this caller wants one started.
        if (!autoStart || pending.autoStart) throw err;
      }
      if (this.attempt === pending) this.attempt = undefined;
      return this.client(autoStart);
    }
    const promise = this.connect(autoStart);
    const attempt = { autoStart, promise };
    this.attempt = attempt;
    try {
      return await promise;
    } finally {
      if (this.attempt === attempt) this.attempt = undefined;
    }
  }

  /** Looks for a running daemon without starting one; never throws. */
  probe(): void {
    this.client(false).catch(() => {});
  }

  private async connect(autoStart: boolean): Promise<DaemonClient> {
    const gen = this.generation;
    const paths = this.paths();
    if (autoStart) this.setState('connecting');
    let client: DaemonClient | undefined;
    try {
      // A user's socket may be under XDG_RUNTIME_DIR, with a link in run/ (engine/daemon/paths.ts).
      if (!autoStart && !existsSync(paths.socket) && !existsSync(paths.homeSocket)) throw new Error(NO_DAEMON);
      const node = autoStart ? await this.node() : undefined;
      client = await connectDaemon({
        home: paths.home,
        env: engineEnv(),
        autoStart,
        daemonCommand: node ? { command: node.path, args: [this.opts.podsmithJs, 'daemon'] } : undefined,
        clientName: this.opts.clientName,
      });
      if (gen !== this.generation) throw new Error('the engine settings changed');
      const c = client;
      await c.subscribe({}, (e) => {
        if (this.current === c) this.eventEmitter.fire(e);
      });
      if (gen !== this.generation) throw new Error('the engine settings changed');
      c.onClose(() => this.lost(c));
      this.current = c;
      this.info = c.info;
      this.error = undefined;
      this.stopWatching();
      this.opts.log(`connected to the podsmith daemon (pid ${c.info?.pid}, podsmith ${c.info?.version}) for ${paths.home}`);
      this.setState('connected');
      this.connectEmitter.fire(c);
      return c;
    } catch (err) {
      client?.close();
      const message = (err as Error).message;
      if (gen === this.generation) {
        if (!autoStart && message.startsWith(NO_DAEMON)) this.setState(this.state === 'unavailable' ? 'unavailable' : 'stopped');
        else {
          this.error = message;
          this.opts.log(`cannot reach the podsmith engine: ${message}`);
          this.setState('unavailable');
        }
        this.watchForDaemon();
      }
      throw err;
    }
  }

  /** The daemon hung up (stopped, crashed, restarting): forget the client, then look for the next daemon. */
  private lost(client: DaemonClient): void {
    if (this.current !== client) return;
    this.current = undefined;
    this.opts.log('the podsmith daemon closed the connection; waiting for it to come back');
    this.setState('stopped');
    this.watchForDaemon();
    this.probe();
  }

  /** Reconnects when something changes in the daemon's run directory (a new socket appears). */
  private watchForDaemon(): void {
    if (this.watcher || this.current) return;
    const { runDir, home } = this.paths();
    // Before any daemon ran here the run directory does not exist yet: watch the home (or nothing).
    const dir = existsSync(runDir) ? runDir : existsSync(home) ? home : undefined;
    if (!dir) return;
    const changed = (): void => {
      clearTimeout(this.settle);
      this.settle = setTimeout(() => {
        if (!this.current && !this.attempt) this.probe();
        // The run directory appeared after watching the home: move the watch there.
        if (dir !== runDir && existsSync(runDir)) {
          this.stopWatching();
          this.watchForDaemon();
        }
      }, WATCH_SETTLE_MS);
    };
    try {
      const w = watch(dir, changed);
      w.on('error', () => this.stopWatching());
      this.watcher = w;
    } catch {
      return; // not watchable (removed meanwhile): the next command reconnects
    }
    // A daemon that began listening between the last attempt and the watch made no event: look once more.
    changed();
  }

  private stopWatching(): void {
    clearTimeout(this.settle);
    this.watcher?.close();
    this.watcher = undefined;
  }

  /** Settings changed: drop the connection (the daemon keeps running) and start over. */
  reset(): void {
    this.generation++;
    const c = this.current;
    this.current = undefined;
    this.attempt = undefined;
    this.nodeChoice = undefined;
    this.info = undefined;
    this.error = undefined;
    this.stopWatching();
    c?.close();
    this.setState('idle');
  }

  private setState(state: EngineState): void {
    if (this.state === state) return;
    this.state = state;
    this.stateEmitter.fire();
  }

  dispose(): void {
    this.generation++;
    this.stopWatching();
    this.current?.close();
    this.current = undefined;
    this.stateEmitter.dispose();
    this.connectEmitter.dispose();
    this.eventEmitter.dispose();
  }
}
