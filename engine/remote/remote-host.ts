// One remote host as clients use it: one SSH connection (shared by every call: no login per request), the
// engine bootstrapped there, and daemon clients whose JSON-RPC connection and exec/logs sessions are channels
// inside that connection to the remote daemon's unix socket (OpenSSH direct-streamlocal). Where sshd forbids
// streamlocal forwarding (AllowStreamLocalForwarding no), each stream is `podsmith daemon dial-stdio` run over
// SSH instead, as `docker -H ssh://` does; that costs one SSH session per stream (MaxSessions, 10 by default).
//
// Every connection after the first skips the probe and `daemon start` when the daemon this client left running
// there answers on its socket (reuse-record.ts): a warm connection is then the SSH login and one channel.
//
// A dropped connection is noticed (keepalives), every stream on it ends with a message saying so (pods on the
// host keep running), and with `reconnect` the host connects again with back-off (1 s doubling to 30 s) until
// it is back, or until a failure that needs a person (login refused, host key refused).
import type { Duplex } from 'node:stream';
import { openDaemonClient } from '../client/connect';
import { DaemonError, type DaemonClient } from '../client/daemon-client';
import type { DaemonTransport } from '../client/transport';
import { daemonPaths } from '../daemon/paths';
import type { PodSide } from '../network/port-forward';
import { bootstrapEngine, BootstrapError, engineCommand, type BootstrapOptions, type BootstrapResult } from './bootstrap';
import { engineBundle } from './engine-bundle';
import { readReuseRecord, writeReuseRecord } from './reuse-record';
import { openSsh, SshError, type SshConnection, type SshConnectOptions, type SshDestination, type SshFailure } from './ssh-connect';

export type RemoteState =
  | 'idle'
  | 'connecting'
  | 'connected'
  /** Cannot reach the host (network, sshd down, timeout); retried with back-off when reconnecting. */
  | 'unreachable'
  | 'auth-failed'
  | 'host-key-refused'
  /** Reached and logged in, but the engine cannot run there (no Node, another OS, a failed bootstrap). */
  | 'unavailable'
  | 'closed';

export interface RemoteHostOptions {
  /** The host's name (hosts.json) or alias, for messages. */
  name: string;
  dest: SshDestination;
  ssh?: SshConnectOptions;
  bootstrap?: BootstrapOptions;
  clientName: string;
  /** Connect again after a drop, with back-off (the editor); default false (a CLI command ends instead). */
  reconnect?: boolean;
  backoff?: { firstMs: number; maxMs: number };
  log?(line: string): void;
}

/** The state a failure leaves the host in. */
export function stateOf(err: unknown): RemoteState {
  if (err instanceof SshError) return STATE_OF[err.kind];
  return 'unavailable';
}
const STATE_OF: Record<SshFailure, RemoteState> = {
  unreachable: 'unreachable',
  auth: 'auth-failed',
  'host-key-unknown': 'host-key-refused',
  'host-key-changed': 'host-key-refused',
  'host-key-revoked': 'host-key-refused',
  config: 'unavailable',
};

interface Live {
  ssh: SshConnection;
  boot: BootstrapResult;
}

export class RemoteHost {
  state: RemoteState = 'idle';
  /** Why the host is not connected (the last failure or drop). */
  error?: string;
  /** The last bootstrap (facts, engine directory, daemon). */
  boot?: BootstrapResult;
  private live?: Live;
  private pending?: Promise<Live>;
  private streamMode: 'streamlocal' | 'dial-stdio' = 'streamlocal';
  /** Set once a streamlocal channel opened on this host: a later failure is then not about sshd's settings. */
  private streamlocalWorked = false;
  private readonly stateListeners = new Set<() => void>();
  private readonly reconnectListeners = new Set<() => void>();
  private retry?: NodeJS.Timeout;
  private delay: number;
  /** When the next reconnection attempt is due (while waiting for it). */
  retryAt?: number;
  private closed = false;

  constructor(public opts: RemoteHostOptions) {
    this.delay = opts.backoff?.firstMs ?? 1000;
  }

  get name(): string {
    return this.opts.name;
  }

  /** Whether streams go through streamlocal channels or dial-stdio commands. */
  get mode(): 'streamlocal' | 'dial-stdio' {
    return this.streamMode;
  }

  onDidChangeState(fn: () => void): () => void {
    this.stateListeners.add(fn);
    return () => this.stateListeners.delete(fn);
  }

  /** The host is back after a drop: clients made before are gone; make new ones. */
  onDidReconnect(fn: () => void): () => void {
    this.reconnectListeners.add(fn);
    return () => this.reconnectListeners.delete(fn);
  }

  private setState(state: RemoteState, error?: string): void {
    const changed = state !== this.state || error !== this.error;
    this.state = state;
    this.error = error;
    if (changed) for (const l of this.stateListeners) l();
  }

  /** The SSH connection and the engine on the host, made once and shared; made again after a drop. */
  ready(): Promise<Live> {
    if (this.closed) return Promise.reject(new DaemonError(`the connection to ${this.name} is closed`));
    if (this.live?.ssh.open) return Promise.resolve(this.live);
    this.pending ??= this.connect().finally(() => (this.pending = undefined));
    return this.pending;
  }

  private async connect(): Promise<Live> {
    clearTimeout(this.retry);
    this.retry = undefined;
    this.retryAt = undefined;
    this.setState('connecting', this.error);
    let ssh: SshConnection | undefined;
    try {
      ssh = await openSsh(this.opts.dest, { ...this.opts.ssh, log: this.opts.ssh?.log ?? this.opts.log });
      const env = this.opts.ssh?.env ?? process.env;
      const destination = ssh.jumps.length ? `${ssh.label} via ${ssh.jumps.join(',')}` : ssh.label;
      let boot = await this.reuse(ssh, destination, env);
      if (!boot) {
        boot = await bootstrapEngine(ssh, { ...this.opts.bootstrap, log: this.opts.bootstrap?.log ?? this.opts.log });
        writeReuseRecord(destination, boot, env);
      }
      if (this.closed) throw new DaemonError(`the connection to ${this.name} is closed`);
      const live = { ssh, boot };
      this.live = live;
      this.boot = boot;
      this.delay = this.opts.backoff?.firstMs ?? 1000;
      ssh.onClose((reason) => this.dropped(live, reason));
      this.setState('connected');
      return live;
    } catch (err) {
      ssh?.close();
      const message = (err as Error).message;
      if (!this.closed) {
        this.setState(stateOf(err), message);
        if (this.opts.reconnect && this.state === 'unreachable') this.scheduleRetry();
      }
      if (err instanceof SshError || err instanceof BootstrapError || err instanceof DaemonError) throw err;
      throw new DaemonError(`${this.name}: ${message}`);
    }
  }

  /**
   * The bootstrap of the last connection, when the daemon it left answers on its socket as the same process
   * (pid, home, version) and this client would install the same bundle; else undefined (bootstrap in full).
   */
  private async reuse(ssh: SshConnection, destination: string, env: NodeJS.ProcessEnv): Promise<BootstrapResult | undefined> {
    const opts = this.opts.bootstrap ?? {};
    // `host test` asks for the doctor; dial-stdio hosts need a session per stream anyway.
    if (opts.reuse === false || opts.doctor === 'always' || this.streamMode !== 'streamlocal') return undefined;
    const t = performance.now();
    const record = readReuseRecord(destination, opts.node ?? 'node', env);
    if (!record) return undefined;
    try {
      if (engineBundle(record.facts.arch, record.facts.libc, opts.dist).id !== record.bundleId) return undefined;
    } catch {
      return undefined;
    }
    let client: DaemonClient | undefined;
    try {
      const ch = await ssh.streamLocal(record.daemon.socket);
      ch.once('end', () => ch.end());
      const transport: DaemonTransport = { logHint: `${record.daemon.log} on ${this.name}`, dial: () => Promise.reject(new DaemonError('not for streams')) };
      client = await openDaemonClient(ch, daemonPaths(record.daemon.home), transport, this.opts.clientName);
      const info = client.info!;
      if (info.pid !== record.daemon.pid || info.home !== record.daemon.home || info.version !== record.daemon.version) return undefined;
    } catch {
      return undefined;
    } finally {
      client?.close();
    }
    this.streamlocalWorked = true;
    const bundle = engineBundle(record.facts.arch, record.facts.libc, opts.dist);
    return {
      facts: { ...record.facts, installed: 'ok' },
      bundle,
      engineDir: record.engineDir,
      node: record.node,
      uploaded: false,
      reused: true,
      daemon: { ...record.daemon, started: false },
      timings: { reuse: Math.round((performance.now() - t) * 10) / 10 },
    };
  }

  private dropped(live: Live, reason: string): void {
    if (this.live !== live || this.closed) return;
    this.live = undefined;
    this.opts.log?.(`${this.name}: ${reason}`);
    this.setState('unreachable', reason);
    if (this.opts.reconnect) this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.retry || this.closed) return;
    const wait = this.delay;
    this.delay = Math.min(this.delay * 2, this.opts.backoff?.maxMs ?? 30_000);
    this.retryAt = Date.now() + wait;
    this.setState(this.state, this.error); // listeners show the retry time
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.retryAt = undefined;
      this.ready().then(
        () => {
          this.opts.log?.(`${this.name}: connected again`);
          for (const l of this.reconnectListeners) l();
        },
        () => {}, // the failure set the state, and scheduled the next try if it may help
      );
    }, wait);
    this.retry.unref?.();
  }

  /** Connects now (a person asked), cancelling a pending back-off wait. */
  retryNow(): Promise<Live> {
    clearTimeout(this.retry);
    this.retry = undefined;
    return this.ready();
  }

  /**
   * A new daemon client over this host's connection (its own channel). With `owner`, closing the client
   * also ends the SSH connection (a CLI command's one client).
   */
  async client(opts: { owner?: boolean } = {}): Promise<DaemonClient> {
    const live = await this.ready();
    const transport = this.transport(live);
    if (opts.owner) transport.close = () => this.close();
    const stream = await transport.dial();
    const { daemon } = live.boot;
    return openDaemonClient(stream, daemonPaths(daemon.home), transport, this.opts.clientName);
  }

  private transport(live: Live): DaemonTransport & { close?: () => void } {
    const { ssh, boot } = live;
    const lost = (): string | undefined =>
      ssh.closeReason && ssh.closeReason !== 'closed' ? `lost the connection to ${this.name}: ${ssh.closeReason}; pods there keep running` : undefined;
    return {
      logHint: `${boot.daemon.log} on ${this.name}`,
      lost,
      dial: async () => {
        if (!ssh.open) throw new DaemonError(lost() ?? `the connection to ${this.name} is closed`);
        return this.dial(live);
      },
    };
  }

  /**
   * A stream to the daemon. The daemon never half-closes (a JSON-RPC or attach connection it ends is over), but
   * sshd closes a channel only once both sides sent EOF: our side ends when the daemon's does, so the channel
   * closes and its readers see the end.
   */
  private async dial(live: Live): Promise<Duplex> {
    const ch = await this.open(live);
    ch.once('end', () => ch.end());
    return ch;
  }

  private async open({ ssh, boot }: Live): Promise<Duplex> {
    if (this.streamMode === 'streamlocal') {
      try {
        const ch = await ssh.streamLocal(boot.daemon.socket);
        this.streamlocalWorked = true;
        return ch;
      } catch (err) {
        // sshd answers "open failed" both when AllowStreamLocalForwarding forbids it and when nothing listens:
        // the first time, dial-stdio tells the two apart (the daemon was just started, so it listens).
        if (this.streamlocalWorked) throw new DaemonError(`cannot reach the daemon on ${this.name}: ${(err as Error).message}`);
        const ch = await this.dialStdio(ssh, boot).catch(() => {
          throw new DaemonError(`cannot reach the daemon on ${this.name}: ${(err as Error).message}`);
        });
        this.opts.log?.(`${this.name}: sshd does not forward to unix sockets (AllowStreamLocalForwarding); each stream runs 'podsmith daemon dial-stdio' instead`);
        this.streamMode = 'dial-stdio';
        return ch;
      }
    }
    return this.dialStdio(ssh, boot);
  }

  private async dialStdio(ssh: SshConnection, boot: BootstrapResult): Promise<Duplex> {
    const ch = await ssh.exec(engineCommand(boot, ['daemon', 'dial-stdio']));
    ch.stderr.resume(); // nothing to read there, but it must not fill the window
    return ch;
  }

  /** The remote end of a port-forward to `pod`: a dialer helper in the pod's namespace on the host. */
  async podSide(pod: string): Promise<PodSide> {
    const { ssh, boot } = await this.ready();
    const t = performance.now();
    const ch = await ssh.exec(engineCommand(boot, ['__pod-dialer', pod]));
    let stderr = '';
    ch.stderr.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-2000)));
    const lines = lineReader(ch);
    const first = await lines.next();
    let socket: string;
    try {
      socket = (JSON.parse(first ?? 'null') as { socket: string }).socket;
    } catch {
      socket = '';
    }
    if (!socket) {
      ch.destroy();
      throw new DaemonError(stderr.trim().replace(/^podsmith __pod-dialer: /, '') || `the port-forward helper on ${this.name} did not start`);
    }
    let finish!: (reason: string) => void;
    const ended = new Promise<string>((r) => (finish = r));
    void (async () => {
      for (;;) {
        const line = await lines.next();
        if (line === undefined) break;
        try {
          const m = JSON.parse(line) as { end?: string };
          if (m.end) return finish(m.end);
        } catch {
          // not a message of the helper
        }
      }
      finish(ssh.closeReason ? `lost the connection to ${this.name}: ${ssh.closeReason}` : `the port-forward helper on ${this.name} exited`);
    })();
    ch.on('close', () => finish(ssh.closeReason ? `lost the connection to ${this.name}: ${ssh.closeReason}` : `the port-forward helper on ${this.name} exited`));
    return {
      setupMs: performance.now() - t,
      ended,
      connect: () => ssh.streamLocal(socket),
      close: async () => {
        ch.end(); // the helper exits when its stdin closes
        await new Promise<void>((r) => (ch.destroyed ? r() : ch.once('close', () => r())));
      },
    };
  }

  /** Ends the connection (pods and the daemon on the host keep running). */
  close(): void {
    this.closed = true;
    clearTimeout(this.retry);
    this.live?.ssh.close();
    this.live = undefined;
    this.setState('closed');
  }
}

/** Reads a stream line by line: next() resolves with a line, or undefined at its end. */
function lineReader(stream: Duplex): { next(): Promise<string | undefined> } {
  let buf = '';
  let ended = false;
  const waiters: (() => void)[] = [];
  const wake = (): void => waiters.splice(0).forEach((w) => w());
  stream.setEncoding('utf8');
  stream.on('data', (s: string) => {
    buf += s;
    wake();
  });
  stream.on('end', () => {
    ended = true;
    wake();
  });
  stream.on('close', () => {
    ended = true;
    wake();
  });
  return {
    async next() {
      for (;;) {
        const nl = buf.indexOf('\n');
        if (nl >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          return line;
        }
        if (ended) return undefined;
        await new Promise<void>((r) => waiters.push(r));
      }
    },
  };
}
