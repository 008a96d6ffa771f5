// A remote host's engine for the extension: the RemoteHost of engine/remote (one SSH connection, the engine
// bootstrapped there, reconnection with back-off) wrapped as an EngineConnection with VS Code events. Its
// state tells the tree what is going on: connecting, connected, unreachable (retrying), authentication
// failed, host key refused, unavailable (no Node there, ...), stopped (the daemon there was stopped; its pods
// keep running). Questions (host key, passphrase, password) come from ssh-prompts.ts.
import * as vscode from 'vscode';
import type { DaemonClient } from '../../engine/client/daemon-client';
import type { PodSide } from '../../engine/network/port-forward';
import type { PodEvent } from '../../engine/pods/types';
import type { HelloResult } from '../../engine/protocol/messages';
import { engineCommand } from '../../engine/remote/bootstrap';
import { RemoteHost } from '../../engine/remote/remote-host';
import type { SshPrompts } from '../../engine/remote/ssh-connect';
import type { RemoteTarget } from '../../engine/remote/targets';
import type { EngineConnection } from './connection';

export interface RemoteConnectionOptions {
  prompts: SshPrompts;
  clientName: string;
  env: () => NodeJS.ProcessEnv;
  log(line: string): void;
}

export class RemoteHostConnection implements EngineConnection {
  readonly kind = 'remote';
  state = 'idle';
  error?: string;
  info?: HelloResult;
  readonly remote: RemoteHost;
  private current?: DaemonClient;
  private attempt?: Promise<DaemonClient>;
  private disposed = false;
  private readonly stateEmitter = new vscode.EventEmitter<void>();
  private readonly connectEmitter = new vscode.EventEmitter<DaemonClient>();
  private readonly eventEmitter = new vscode.EventEmitter<PodEvent>();
  readonly onDidChangeState = this.stateEmitter.event;
  readonly onDidConnect = this.connectEmitter.event;
  readonly onEvent = this.eventEmitter.event;
  private readonly offs: (() => void)[];

  constructor(readonly target: RemoteTarget, private readonly opts: RemoteConnectionOptions) {
    this.remote = new RemoteHost({
      name: target.name,
      dest: target.dest,
      clientName: opts.clientName,
      reconnect: true,
      ssh: { env: opts.env(), prompts: opts.prompts, log: (l) => opts.log(l) },
      bootstrap: { node: target.node, log: (l) => opts.log(l) },
      log: (l) => opts.log(l),
    });
    this.offs = [
      this.remote.onDidChangeState(() => this.follow()),
      // Back after a drop: a new client, a new subscription, the pods loaded again.
      this.remote.onDidReconnect(() => void this.client(true).catch(() => {})),
    ];
  }

  get host(): string {
    return this.target.name;
  }

  /** The RemoteHost's state while there is no live client; 'connected' only with one. */
  private follow(): void {
    const r = this.remote;
    if (r.state === 'connected') {
      if (!this.current && this.state !== 'stopped') this.setState('connecting');
      return;
    }
    if (r.state === 'idle' || r.state === 'closed') return;
    const retry = r.retryAt ? ` (trying again in ${Math.max(1, Math.round((r.retryAt - Date.now()) / 1000))} s)` : '';
    this.setState(r.state, r.error ? `${r.error}${retry}` : undefined);
  }

  private setState(state: string, error?: string): void {
    if (this.state === state && this.error === error) return;
    this.state = state;
    this.error = error;
    if (!this.disposed) this.stateEmitter.fire();
  }

  connected(): DaemonClient | undefined {
    return this.current;
  }

  describeLocation(): string {
    const where = this.target.url ?? `Host ${this.target.name} of ~/.ssh/config`;
    return this.info ? `${where}\npodsmith ${this.info.version}, daemon pid ${this.info.pid}\n${this.info.home}` : where;
  }

  /** Without autoStart, only an existing client (nothing connects behind the user's back). */
  client(autoStart = true): Promise<DaemonClient> {
    if (this.current) return Promise.resolve(this.current);
    if (!autoStart && !this.attempt) return Promise.reject(new Error(`not connected to ${this.host}`));
    this.attempt ??= this.connect().finally(() => (this.attempt = undefined));
    return this.attempt;
  }

  probe(): void {
    // A remote host is connected when someone looks at it, never at start-up.
  }

  private async connect(): Promise<DaemonClient> {
    this.setState('connecting', this.error);
    let c: DaemonClient | undefined;
    try {
      c = await this.remote.client();
      const live = c;
      await live.subscribe({}, (e) => {
        if (this.current === live) this.eventEmitter.fire(e);
      });
      if (this.disposed) throw new Error(`the connection to ${this.host} was closed`);
      live.onClose(() => this.lost(live));
      this.current = live;
      this.info = live.info;
      this.opts.log(`${this.host}: connected to the podsmith daemon there (pid ${live.info?.pid}, podsmith ${live.info?.version}, ${live.info?.home})`);
      this.setState('connected');
      this.connectEmitter.fire(live);
      return live;
    } catch (err) {
      c?.close();
      if (this.remote.state === 'connected') this.setState('unavailable', (err as Error).message);
      else this.follow();
      throw err;
    }
  }

  private lost(c: DaemonClient): void {
    if (this.current !== c) return;
    this.current = undefined;
    // The SSH connection is still up: the daemon there stopped (pods keep running); else the drop is
    // the RemoteHost's to retry.
    if (this.remote.state === 'connected') {
      this.opts.log(`${this.host}: the podsmith daemon there closed the connection (pods there keep running)`);
      this.setState('stopped');
    } else this.follow();
  }

  /** Connects again now (a person asked). */
  async reconnect(): Promise<DaemonClient> {
    if (this.current) return this.current;
    await this.remote.retryNow().catch(() => {});
    return this.client(true);
  }

  podSide(pod: string): Promise<PodSide> {
    return this.remote.podSide(pod);
  }

  /** `podsmith doctor` on the host, as text. */
  async doctorText(): Promise<string> {
    const { ssh, boot } = await this.remote.ready();
    const r = await ssh.run(engineCommand(boot, ['doctor']), undefined, 300_000);
    return r.stdout || r.stderr;
  }

  reset(): void {
    // Nothing of the local engine's settings applies to a remote host.
  }

  dispose(): void {
    this.disposed = true;
    this.offs.forEach((o) => o());
    this.current?.close();
    this.current = undefined;
    this.remote.close();
    this.stateEmitter.dispose();
    this.connectEmitter.dispose();
    this.eventEmitter.dispose();
  }
}
