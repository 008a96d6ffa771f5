// TEST ONLY: real OpenSSH servers as "remote hosts". Each one is Debian's sshd in the foreground on its own
// loopback address (127.0.1.N, never anything else) and a free port, with its own host key, its own
// AuthorizedKeysFile, and its own engine state through `SetEnv PODSMITH_HOME=... XDG_CACHE_HOME=...`, so
// every "host" has its own engine bundle cache, daemon and pods while the tests log in as root.
// Also: a client side (a local HOME with ~/.ssh/config, known_hosts and keys), an ssh-agent, and clean-up of
// everything: sshd and its sessions, the engine daemons started on the hosts, their pods.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { join, resolve } from 'node:path';
import { connectDaemon } from '../../../engine/client/connect';
import { SshConfig } from '../../../engine/remote/ssh-config';
import { isAlive, procStat } from '../../../engine/runtime/processes';
import { LeakTracker } from '../../support/leaks';

export const REPO = resolve(__dirname, '../../..');
const SSHD = '/usr/sbin/sshd';

export function whyNoSshd(): string | undefined {
  if (!existsSync(SSHD)) return 'openssh-server is not installed (apt-get install -y openssh-server)';
  if (process.getuid?.() !== 0) return 'the remote tests log in as root and need root';
  return undefined;
}

export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The engine bundle the hosts get: dist/, rebuilt when an engine source is newer than dist/podsmith.js. */
export function ensureBuilt(): void {
  const bundle = join(REPO, 'dist', 'podsmith.js');
  const built = existsSync(bundle) ? statSync(bundle).mtimeMs : 0;
  const newest = (dir: string): number => {
    let m = 0;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      m = Math.max(m, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
    }
    return m;
  };
  if (built && newest(join(REPO, 'engine')) < built && newest(join(REPO, 'native')) < built) return;
  execFileSync(process.execPath, [join(REPO, 'scripts', 'build.mjs')], { cwd: REPO, stdio: 'inherit' });
}

function freePort(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, address, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function sshBanner(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: address, port });
    s.once('data', (b: Buffer) => {
      s.destroy();
      resolve(b.toString('latin1').startsWith('SSH-'));
    });
    s.once('error', () => resolve(false));
    setTimeout(() => (s.destroy(), resolve(false)), 1000).unref();
  });
}

export function keygen(file: string, type: 'ed25519' | 'rsa' | 'ecdsa' = 'ed25519', passphrase = ''): string {
  rmSync(file, { force: true });
  rmSync(`${file}.pub`, { force: true });
  execFileSync('ssh-keygen', ['-q', '-t', type, ...(type === 'rsa' ? ['-b', '2048'] : []), '-N', passphrase, '-C', 'podsmith-test', '-f', file]);
  return readFileSync(`${file}.pub`, 'utf8').trim();
}

export interface SshdOptions {
  /** 127.0.1.N: N. */
  index: number;
  authorizedKeys: string[];
  hostKeyType?: 'ed25519' | 'rsa' | 'ecdsa';
  /** More sshd_config lines (AllowStreamLocalForwarding no, ...). */
  extra?: string[];
}

export class TestSshd {
  readonly address: string;
  port = 0;
  readonly dir: string;
  /** PODSMITH_HOME of the engine on this host. */
  readonly home: string;
  /** XDG_CACHE_HOME there: the engine bundle lives in cache/podsmith/engine/. */
  readonly cache: string;
  hostKey = '';
  private child?: ChildProcess;

  constructor(readonly opts: SshdOptions) {
    if (opts.index < 2 || opts.index > 254) throw new Error('index must be 2..254');
    this.address = `127.0.1.${opts.index}`;
    this.dir = mkdtempSync('/tmp/pssh-');
    chmodSync(this.dir, 0o755);
    this.home = join(this.dir, 'home');
    this.cache = join(this.dir, 'cache');
  }

  get url(): string {
    return `ssh://root@${this.address}:${this.port}`;
  }

  /** The known_hosts line OpenSSH would write, unhashed: `[addr]:port type key`. */
  knownHostsLine(): string {
    const [type, key] = this.hostKey.split(' ');
    return `[${this.address}]:${this.port} ${type} ${key}`;
  }

  hostKeyFile(): string {
    return join(this.dir, `host_${this.opts.hostKeyType ?? 'ed25519'}`);
  }

  /** A new host key (the host was "reinstalled"); takes effect on restart. */
  newHostKey(): void {
    this.hostKey = keygen(this.hostKeyFile(), this.opts.hostKeyType ?? 'ed25519');
  }

  setAuthorizedKeys(keys: string[]): void {
    writeFileSync(join(this.dir, 'authorized_keys'), keys.join('\n') + '\n', { mode: 0o600 });
  }

  async start(): Promise<this> {
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    if (!this.hostKey) this.newHostKey();
    this.setAuthorizedKeys(this.opts.authorizedKeys);
    this.port ||= await freePort(this.address);
    // sshd takes the first value of an option: the test's own lines come first.
    const config = [
      ...(this.opts.extra ?? []),
      `ListenAddress ${this.address}:${this.port}`,
      `HostKey ${this.hostKeyFile()}`,
      `PidFile ${join(this.dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(this.dir, 'authorized_keys')}`,
      'StrictModes no',
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'PrintMotd no',
      'PrintLastLog no',
      'LogLevel VERBOSE',
      'Subsystem sftp internal-sftp',
      `SetEnv PODSMITH_HOME=${this.home} XDG_CACHE_HOME=${this.cache} PODSMITH_DAEMON_IDLE=never`,
    ];
    writeFileSync(join(this.dir, 'sshd_config'), config.join('\n') + '\n');
    const check = spawnSync(SSHD, ['-t', '-f', join(this.dir, 'sshd_config')], { encoding: 'utf8' });
    if (check.status !== 0) throw new Error(`sshd -t: ${check.stderr}`);
    const log = join(this.dir, 'sshd.log');
    this.child = spawn(SSHD, ['-D', '-e', '-f', join(this.dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
    const out: string[] = [];
    this.child.stderr!.on('data', (b: Buffer) => {
      out.push(b.toString());
      writeFileSync(log, out.join(''));
    });
    await waitFor(`sshd on ${this.address}:${this.port}`, () => {
      if (this.child!.exitCode !== null) throw new Error(`sshd exited: ${out.join('')}`);
      return sshBanner(this.address, this.port);
    });
    return this;
  }

  /** Stops and starts again (same port, key and state), with other extra config lines when given. */
  async restart(extra?: string[]): Promise<void> {
    await this.stop();
    if (extra) this.opts.extra = extra;
    await this.start();
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The per-connection sshd processes (one per logged-in client), children of the listener. */
  sessionPids(): number[] {
    if (!this.pid) return [];
    return descendants(this.pid).filter((p) => (readProc(p, 'cmdline').split('\0')[0] ?? '').startsWith('sshd:'));
  }

  /** Stops the listener and every session (the engine daemon on the host is stopped by stopEngine()). */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child?.pid) return;
    // sshd itself at once; what its sessions run gets SIGTERM first: a login shell's startup files may hold
    // a lock (pyenv's rehash lock in root's .bashrc) that only its exit trap releases, and a lock left behind
    // stalls every later login on this machine.
    const all = [child.pid, ...descendants(child.pid)];
    const isSshd = (p: number): boolean => p === child.pid || (readProc(p, 'cmdline').split('\0')[0] ?? '').startsWith('sshd:');
    for (const p of all.filter(isSshd).reverse()) kill(p, 'SIGKILL');
    const rest = all.filter((p) => !isSshd(p));
    for (const p of rest) kill(p, 'SIGTERM');
    await waitFor('the sessions\' commands to exit', () => rest.every((p) => !isAlive(p)), 5000).catch(() => {});
    for (const p of rest) kill(p, 'SIGKILL');
    // Killed by a signal, a child has a signalCode and no exitCode; its 'exit' may have come already (while the
    // sessions were waited for), and waiting for another would leave the test's event loop with nothing to do.
    if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
  }

  /**
   * Removes pods a failed test left, stops the engine daemon this host's logins started, then checks that
   * nothing a pod made is left.
   */
  async stopEngine(): Promise<string[]> {
    const problems: string[] = [];
    let c;
    try {
      c = await connectDaemon({ home: this.home, autoStart: false });
    } catch {
      // none running
    }
    if (c) {
      try {
        for (const p of await c.listPods()) await c.deletePod({ pod: p.uid, force: true }).catch(() => {});
        const pid = c.info!.pid;
        await c.shutdown();
        c.close();
        await waitFor('the remote daemon to exit', () => !alive(pid), 15_000);
      } catch (err) {
        problems.push(`stopping the daemon of ${this.home}: ${(err as Error).message}`);
      }
    }
    return [...problems, ...(await new LeakTracker(this.home).check())];
  }

  async dispose(): Promise<string[]> {
    await this.stop();
    const leaks = await this.stopEngine();
    // Daemons outlive sshd (they are detached): anything still holding the home is a leak too, once processes
    // that are on their way out (killed sessions, a daemon's last children) have had a moment to go.
    await waitFor('processes of the test home to exit', () => pidsWith(this.home).length === 0, 10_000).catch(() => {});
    for (const p of pidsWith(this.home)) leaks.push(`process ${p} still uses ${this.home}: ${readProc(p, 'cmdline').replace(/\0/g, ' ').slice(0, 200)} (state ${procStat(p)?.state ?? '?'})`);
    if (leaks.length) {
      // What the daemon said is the first thing one needs to know why.
      const log = readFileSafe(join(this.home, 'daemon.log'));
      if (log) leaks.push(`daemon.log (end): ${log.slice(-2000)}`);
    }
    rmSync(this.dir, { recursive: true, force: true });
    return leaks;
  }
}

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function readProc(pid: number, file: string): string {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return '';
  }
}

function ppidOf(pid: number): number {
  const stat = readProc(pid, 'stat');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

export function descendants(root: number): number[] {
  const all = readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number);
  const out: number[] = [];
  const walk = (p: number): void => {
    for (const c of all) if (ppidOf(c) === p) {
      out.push(c);
      walk(c);
    }
  };
  walk(root);
  return out;
}

/** Processes whose command line or environment names `path` (engine daemons of a test home). */
export function pidsWith(path: string): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .filter((p) => p !== process.pid && (readProc(p, 'cmdline').includes(path) || readProc(p, 'environ').includes(`PODSMITH_HOME=${path}`)))
    .filter((p) => isAlive(p));
}

/** Live processes whose command line contains all of `parts`. */
export function processesWith(...parts: string[]): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .filter((p) => {
      const cmd = readProc(p, 'cmdline');
      return p !== process.pid && parts.every((x) => cmd.includes(x)) && isAlive(p);
    });
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function kill(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone
  }
}

/** The client machine: a HOME of its own with ~/.ssh (config, known_hosts, a key), ~/.config/podsmith and ~/.cache. */
export class TestClient {
  readonly home: string;
  readonly ssh: string;
  readonly key: string;
  readonly publicKey: string;
  private agent?: { pid: number; socket: string };

  constructor() {
    this.home = mkdtempSync('/tmp/psc-');
    this.ssh = join(this.home, '.ssh');
    mkdirSync(this.ssh, { mode: 0o700 });
    this.key = join(this.ssh, 'id_ed25519');
    this.publicKey = keygen(this.key);
    writeFileSync(join(this.ssh, 'config'), '');
  }

  get knownHosts(): string {
    return join(this.ssh, 'known_hosts');
  }

  writeConfig(text: string): void {
    writeFileSync(join(this.ssh, 'config'), text);
  }

  /** Trusts these hosts' keys (as a user who checked the fingerprints would have). */
  trust(...hosts: TestSshd[]): void {
    writeFileSync(this.knownHosts, hosts.map((h) => h.knownHostsLine()).join('\n') + '\n', { mode: 0o600 });
  }

  /** The environment of a CLI run on this client. */
  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    // PODSMITH_HOME too: a command that runs on this machine (no --host) gets an engine home of the client's,
    // never the machine's default one, and dispose() stops a daemon it started there.
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HOME: this.home,
      XDG_CONFIG_HOME: join(this.home, '.config'),
      XDG_CACHE_HOME: join(this.home, '.cache'),
      PODSMITH_HOME: this.engineHome,
      ...extra,
    };
    delete env.SSH_AUTH_SOCK;
    delete env.PODSMITH_HOST;
    delete env.NODE_OPTIONS;
    if (this.agent) env.SSH_AUTH_SOCK = this.agent.socket;
    Object.assign(env, extra);
    return env;
  }

  sshConfig(): SshConfig {
    return new SshConfig({ home: this.home, env: this.env() });
  }

  /** A real ssh-agent holding `keys`. */
  startAgent(keys: string[]): string {
    const socket = join(this.home, 'agent.sock');
    const out = execFileSync('ssh-agent', ['-s', '-a', socket], { encoding: 'utf8' });
    const pid = Number(/SSH_AGENT_PID=(\d+)/.exec(out)?.[1]);
    this.agent = { pid, socket };
    for (const k of keys) execFileSync('ssh-add', ['-q', k], { env: { ...process.env, SSH_AUTH_SOCK: socket }, stdio: 'ignore' });
    return socket;
  }

  stopAgent(): void {
    if (this.agent) kill(this.agent.pid, 'SIGTERM');
    this.agent = undefined;
  }

  /** The engine home of commands that run on this machine. */
  get engineHome(): string {
    return join(this.home, 'engine');
  }

  dispose(): void {
    this.stopAgent();
    if (existsSync(join(this.engineHome, 'run', 'podsmith.sock'))) {
      spawnSync(process.execPath, [join(REPO, 'dist', 'podsmith.js'), 'daemon', 'stop'], { env: { ...process.env, PODSMITH_HOME: this.engineHome }, stdio: 'ignore', timeout: 30_000 });
    }
    rmSync(this.home, { recursive: true, force: true });
  }
}

/** Starts `n` hosts at once on 127.0.1.(first..first+n-1). */
export async function startHosts(n: number, first: number, keys: string[], opts: Partial<SshdOptions> = {}): Promise<TestSshd[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => new TestSshd({ index: first + i, authorizedKeys: keys, ...opts }).start()));
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (dist/podsmith.js, as users run it) on the test client. */
export function cli(client: TestClient, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO, 'dist', 'podsmith.js'), ...args], { env: client.env(opts.env), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`podsmith ${args.join(' ')} did not finish within ${(opts.timeoutMs ?? 120_000) / 1000} s:\n${stdout}\n${stderr}`));
    }, opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}
