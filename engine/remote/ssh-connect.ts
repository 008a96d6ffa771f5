// One SSH connection to a host with ssh2, as OpenSSH would make it: options from ~/.ssh/config (ssh-config.ts),
// ProxyJump hops (each its own SSH connection, the next one carried in a forwarded channel of the previous),
// the host key of every hop checked against known_hosts (known-hosts.ts), login in OpenSSH's order
// (ssh-auth.ts), and keepalives on by default (ssh2 has them off): ServerAliveInterval, else every 15 s, and
// ServerAliveCountMax (default 3) unanswered ones end the connection.
//
// Host keys: a known key passes. A changed or revoked key is refused, loudly, and never replaced. An unknown
// key is refused unless the caller accepts it (the CLI's --accept-new-host-key, the editor's question showing
// the SHA256 fingerprint); an accepted key is appended, hashed, to the first UserKnownHostsFile.
import type { Duplex } from 'node:stream';
import { Client, type ClientChannel, type SFTPWrapper } from 'ssh2';
import { appendKnownHost, fingerprint, KnownHosts, keyTypeOf, knownHostsName, type KnownKey } from './known-hosts';
import { makeAuthHandler, type AuthPrompts } from './ssh-auth';
import { parseJumpHop, SshConfig, SshConfigError, type SshHostConfig } from './ssh-config';

export type SshFailure = 'unreachable' | 'auth' | 'host-key-unknown' | 'host-key-changed' | 'host-key-revoked' | 'config';

export interface HostKeyInfo {
  /** The name the key is filed under in known_hosts (`host` or `[host]:port`). */
  name: string;
  keyType: string;
  fingerprint: string;
  /** Where an accepted key is written. */
  knownHostsFile: string;
}

export class SshError extends Error {
  override name = 'SshError';
  constructor(
    message: string,
    readonly kind: SshFailure,
    readonly hostKey?: HostKeyInfo,
  ) {
    super(message);
  }
}

export interface SshPrompts extends AuthPrompts {
  /** An unknown host key: resolve true to accept (and record) it. */
  unknownHostKey?(info: HostKeyInfo): Promise<boolean>;
}

export interface SshConnectOptions {
  config?: SshConfig;
  env?: NodeJS.ProcessEnv;
  prompts?: SshPrompts;
  /** Accept (and record) an unknown host key without asking; never a changed one. */
  acceptNewHostKey?: boolean;
  /** Extra known_hosts files to read (tests); default also /etc/ssh/ssh_known_hosts. */
  globalKnownHostsFiles?: string[];
  log?(line: string): void;
}

export interface SshDestination {
  /** A host name or ~/.ssh/config Host alias. */
  alias: string;
  user?: string;
  port?: number;
}

const DEFAULT_KEEPALIVE_S = 15;
const DEFAULT_KEEPALIVE_MAX = 3;
const DEFAULT_CONNECT_TIMEOUT_S = 20;
const MAX_HOPS = 8;
/** ssh2's host key algorithms; the ones known_hosts has for a host go first, as OpenSSH orders them. */
const HOST_KEY_ALGORITHMS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

/** user@host:port of a hop, for messages. */
export function describeHop(cfg: SshHostConfig): string {
  return `${cfg.user}@${cfg.hostName}${cfg.port === 22 ? '' : `:${cfg.port}`}`;
}

/** The hops to reach `dest`, first to last, the destination itself last. */
export function resolveChain(config: SshConfig, dest: SshDestination): SshHostConfig[] {
  const chain: SshHostConfig[] = [];
  const visit = (d: SshDestination, depth: number, seen: Set<string>): void => {
    if (depth > MAX_HOPS) throw new SshError(`more than ${MAX_HOPS} ProxyJump hops to ${dest.alias}`, 'config');
    const key = `${d.user ?? ''}@${d.alias}:${d.port ?? ''}`;
    if (seen.has(key)) throw new SshError(`ProxyJump loops back to ${d.alias}`, 'config');
    let cfg: SshHostConfig;
    try {
      cfg = config.resolve(d.alias, { user: d.user, port: d.port });
    } catch (err) {
      throw new SshError((err as Error).message, 'config');
    }
    if (cfg.proxyCommand) throw new SshError(`${d.alias} uses ProxyCommand ${cfg.proxyCommand}, which Podsmith does not run (it is a shell command); use ProxyJump`, 'config');
    for (const hop of cfg.proxyJump) {
      let h;
      try {
        h = parseJumpHop(hop);
      } catch (err) {
        throw new SshError((err as SshConfigError).message, 'config');
      }
      visit({ alias: h.host, user: h.user, port: h.port }, depth + 1, new Set([...seen, key]));
    }
    chain.push(cfg);
  };
  visit(dest, 0, new Set());
  return chain;
}

/** Opens the connection (all hops); rejects with an SshError saying which hop failed and why. */
export async function openSsh(dest: SshDestination, opts: SshConnectOptions = {}): Promise<SshConnection> {
  const config = opts.config ?? new SshConfig({ env: opts.env });
  const chain = resolveChain(config, dest);
  for (const w of new Set(chain.flatMap((c) => c.warnings))) opts.log?.(`ssh config: ${w}`);
  const clients: Client[] = [];
  try {
    let sock: Duplex | undefined;
    for (let i = 0; i < chain.length; i++) {
      const client = await connectHop(chain[i], sock, config, opts, i < chain.length - 1);
      clients.push(client);
      const next = chain[i + 1];
      if (next) sock = await forwardOut(client, next.hostName, next.port, describeHop(chain[i]));
    }
  } catch (err) {
    for (const c of clients.reverse()) c.end();
    throw err;
  }
  const target = chain[chain.length - 1];
  return new SshConnection(clients, target, chain.slice(0, -1).map(describeHop));
}

function forwardOut(client: Client, host: string, port: number, via: string): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    try {
      client.forwardOut('127.0.0.1', 0, host, port, (err, ch) => {
        if (err) reject(new SshError(`the jump host ${via} cannot reach ${host}:${port}: ${err.message}`, 'unreachable'));
        else resolve(ch);
      });
    } catch (err) {
      reject(new SshError(`the jump host ${via} went away: ${(err as Error).message}`, 'unreachable'));
    }
  });
}

function connectHop(cfg: SshHostConfig, sock: Duplex | undefined, config: SshConfig, opts: SshConnectOptions, isJump: boolean): Promise<Client> {
  const env = opts.env ?? process.env;
  const label = describeHop(cfg);
  const what = isJump ? `the jump host ${label}` : label;
  const keyName = cfg.hostKeyAlias ?? cfg.hostName;
  const known = new KnownHosts([...cfg.userKnownHostsFiles, ...(opts.globalKnownHostsFiles ?? ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'])]);
  for (const w of known.warnings) opts.log?.(`known_hosts: ${w}`);
  const knownTypes = known.knownTypes(keyName, cfg.port);
  const preferred = HOST_KEY_ALGORITHMS.filter((a) => knownTypes.some((t) => t === a || (t === 'ssh-rsa' && a.startsWith('rsa-sha2'))));
  const algorithms = [...preferred, ...HOST_KEY_ALGORITHMS.filter((a) => !preferred.includes(a))];

  return new Promise((resolve, reject) => {
    const client = new Client();
    let failure: SshError | undefined;
    let settled = false;
    const timeoutMs = (cfg.connectTimeout || DEFAULT_CONNECT_TIMEOUT_S) * 1000;
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        failure ??= new SshError(`cannot reach ${what}: no SSH handshake within ${timeoutMs / 1000} s`, 'unreachable');
        client.destroy();
      }, timeoutMs);
    };
    // A person answering a question stops the clock.
    const waiting = (on: boolean): void => (on ? clearTimeout(timer) : arm());
    const auth = makeAuthHandler({ cfg, label, env, home: config.home, prompts: opts.prompts ?? {}, waiting });

    const finish = (err?: SshError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) {
        client.removeAllListeners('ready');
        client.on('error', () => {});
        client.destroy();
        reject(err);
      } else resolve(client);
    };

    const hostVerifier = (key: Buffer, verify: (ok: boolean) => void): void => {
      const info: HostKeyInfo = { name: knownHostsName(keyName, cfg.port), keyType: keyTypeOf(key), fingerprint: fingerprint(key), knownHostsFile: cfg.userKnownHostsFiles[0] };
      const verdict = known.check(keyName, cfg.port, key);
      if (verdict.status === 'known') return verify(true);
      if (verdict.status === 'revoked') {
        failure = new SshError(`the host key of ${what} (${info.keyType} ${info.fingerprint}) is marked @revoked in ${at(verdict.match)}: refusing to connect`, 'host-key-revoked', info);
        return verify(false);
      }
      if (verdict.status === 'changed') {
        failure = new SshError(changedMessage(what, info, verdict.known), 'host-key-changed', info);
        return verify(false);
      }
      const accept = async (): Promise<boolean> => {
        if (opts.acceptNewHostKey) return true;
        if (!opts.prompts?.unknownHostKey) return false;
        waiting(true);
        try {
          return await opts.prompts.unknownHostKey(info);
        } finally {
          waiting(false);
        }
      };
      accept().then(
        (ok) => {
          if (!ok) {
            failure = new SshError(
              `the host key of ${what} is not known: ${info.keyType} ${info.fingerprint}. Check this fingerprint with the host's administrator (on the host: ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub), then accept it with --accept-new-host-key (or 'podsmith host add NAME URL --accept').`,
              'host-key-unknown',
              info,
            );
            return verify(false);
          }
          try {
            appendKnownHost(info.knownHostsFile, keyName, cfg.port, key);
            opts.log?.(`added the host key of ${what} (${info.keyType} ${info.fingerprint}) to ${info.knownHostsFile}`);
          } catch (err) {
            failure = new SshError(`cannot record the host key of ${what} in ${info.knownHostsFile}: ${(err as Error).message}`, 'config', info);
            return verify(false);
          }
          verify(true);
        },
        () => verify(false),
      );
    };

    client.once('ready', () => finish());
    client.on('error', (err: Error & { level?: string; code?: string }) => {
      if (settled) return;
      if (failure) return finish(failure);
      if (err.level === 'client-authentication') {
        const tried = auth.tried.length ? auth.tried.join('; ') : 'no key, agent or prompt to try';
        return finish(new SshError(`cannot log in to ${what}: ${tried}`, 'auth'));
      }
      const why = err.code === 'ECONNREFUSED' ? 'connection refused' : err.code === 'ENOTFOUND' ? 'unknown host name' : err.message;
      finish(new SshError(`cannot reach ${what}: ${why}`, 'unreachable'));
    });
    client.on('close', () => finish(failure ?? new SshError(`cannot reach ${what}: the connection closed during the SSH handshake`, 'unreachable')));

    arm();
    try {
      client.connect({
        host: cfg.hostName,
        port: cfg.port,
        sock,
        username: cfg.user,
        authHandler: auth.handler,
        hostVerifier,
        readyTimeout: 0,
        keepaliveInterval: (cfg.serverAliveInterval ?? DEFAULT_KEEPALIVE_S) * 1000,
        keepaliveCountMax: cfg.serverAliveCountMax ?? DEFAULT_KEEPALIVE_MAX,
        algorithms: { serverHostKey: algorithms as never },
      });
    } catch (err) {
      finish(new SshError(`cannot connect to ${what}: ${(err as Error).message}`, 'config'));
    }
  });
}

function at(k: KnownKey): string {
  return `${k.file}:${k.line}`;
}

function changedMessage(what: string, info: HostKeyInfo, known: KnownKey[]): string {
  const sameType = known.filter((k) => k.keyType === info.keyType);
  const lines = (sameType.length ? sameType : known).map((k) => `${k.keyType} ${fingerprint(k.key)} (${at(k)})`);
  return (
    `WARNING: THE HOST KEY OF ${what.toUpperCase()} HAS CHANGED. Someone could be intercepting the connection (a man-in-the-middle attack), ` +
    `or the host was reinstalled. It now offers ${info.keyType} ${info.fingerprint}; known_hosts has ${lines.join(', ')}. ` +
    `Podsmith refuses to connect and changes nothing. If the change is expected, remove the old key with: ssh-keygen -R '${info.name}'` +
    (known[0] ? ` -f ${known[0].file}` : '')
  );
}

/** A live connection: channels to the destination, and how it ended. */
export class SshConnection {
  /** Set once the connection is gone, with why. */
  closeReason?: string;
  readonly closed: Promise<string>;
  private readonly listeners = new Set<(reason: string) => void>();
  private readonly end: (reason: string) => void;

  constructor(
    private readonly clients: Client[],
    readonly cfg: SshHostConfig,
    readonly jumps: string[],
  ) {
    let done!: (r: string) => void;
    this.closed = new Promise((r) => (done = r));
    const end = (this.end = (reason: string): void => {
      if (this.closeReason) return;
      this.closeReason = reason;
      for (const c of [...this.clients].reverse()) c.destroy();
      done(reason);
      for (const l of this.listeners) l(reason);
    });
    const interval = cfg.serverAliveInterval ?? DEFAULT_KEEPALIVE_S;
    const max = cfg.serverAliveCountMax ?? DEFAULT_KEEPALIVE_MAX;
    clients.forEach((c, i) => {
      const who = i === clients.length - 1 ? describeHop(cfg) : `the jump host ${jumps[i]}`;
      c.on('error', (err: Error & { level?: string }) => {
        if (err.message === 'Keepalive timeout') end(`${who} stopped answering (${max} keepalives unanswered, one every ${interval} s)`);
        else end(`the SSH connection to ${who} failed: ${err.message}`);
      });
      c.on('close', () => end(`the SSH connection to ${who} closed`));
    });
  }

  get label(): string {
    return describeHop(this.cfg);
  }

  get open(): boolean {
    return this.closeReason === undefined;
  }

  onClose(fn: (reason: string) => void): () => void {
    if (this.closeReason) {
      fn(this.closeReason);
      return () => {};
    }
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private get target(): Client {
    return this.clients[this.clients.length - 1];
  }

  private channel<T>(what: string, open: (cb: (err: Error | undefined, ch: T) => void) => void): Promise<T> {
    if (this.closeReason) return Promise.reject(new SshError(this.closeReason, 'unreachable'));
    return new Promise((resolve, reject) => {
      try {
        open((err, ch) => (err ? reject(Object.assign(new Error(`${what} on ${this.label}: ${err.message}`), { reason: (err as { reason?: number }).reason })) : resolve(ch)));
      } catch (err) {
        reject(new SshError(this.closeReason ?? `${what} on ${this.label}: ${(err as Error).message}`, 'unreachable'));
      }
    });
  }

  /** Runs a command line (already quoted: shell-quote.ts) in a session channel. */
  exec(command: string): Promise<ClientChannel> {
    return this.channel('exec', (cb) => this.target.exec(command, cb as never));
  }

  /** A channel to a unix socket on the remote host (OpenSSH's direct-streamlocal; no port is opened there). */
  streamLocal(path: string): Promise<ClientChannel> {
    return this.channel(`opening ${path}`, (cb) => this.target.openssh_forwardOutStreamLocal(path, cb as never));
  }

  sftp(): Promise<SFTPWrapper> {
    return this.channel('sftp', (cb) => this.target.sftp(cb as never));
  }

  /** Runs a command to completion: its stdout, stderr and exit code; `input` is written to its stdin. */
  async run(command: string, input?: string | Buffer, timeoutMs = 120_000): Promise<{ code: number | null; signal?: string; stdout: string; stderr: string }> {
    const ch = await this.exec(command);
    return new Promise((resolve, reject) => {
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let code: number | null = null;
      let signal: string | undefined;
      const timer = setTimeout(() => {
        ch.destroy();
        reject(new Error(`${this.label}: a remote command gave no answer within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      ch.on('data', (b: Buffer) => out.push(b));
      ch.stderr.on('data', (b: Buffer) => err.push(b));
      ch.on('exit', (c: number | null, s?: string) => {
        code = c;
        signal = s ?? undefined;
      });
      ch.on('close', () => {
        clearTimeout(timer);
        if (this.closeReason && code === null) return reject(new SshError(this.closeReason, 'unreachable'));
        resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
      });
      ch.end(input);
    });
  }

  /** Ends the connection (and its hops). */
  close(reason = 'closed'): void {
    this.end(reason);
  }
}
