// First contact with a remote host, and every connection after: check what the host is (probe), install this
// engine's bundle there when it is missing or damaged (SFTP upload into a private temporary directory in the
// remote user's cache, checked file by file against its SHA-256 there, then renamed into
// ~/.cache/podsmith/engine/<version>-<hash>/), and start or reuse the remote daemon. Only fixed programs run
// there: scripts fed to `node -` (remote-scripts.ts) and the engine's own commands, every word quoted.
import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import type { SFTPWrapper } from 'ssh2';
import type { DoctorReport } from '../doctor/types';
import { engineBundle, type EngineBundle } from './engine-bundle';
import { scriptCommand, scriptSource } from './remote-scripts';
import { commandLine } from './shell-quote';
import type { SshConnection } from './ssh-connect';

export const MIN_REMOTE_NODE_MAJOR = 20;

export interface RemoteFacts {
  node: string;
  platform: string;
  arch: string;
  libc: 'glibc' | 'musl';
  uid: number;
  user: string;
  home: string;
  engineRoot?: string;
  engineDir?: string;
  installed?: 'ok' | 'missing' | 'corrupt';
}

export interface RemoteDaemonInfo {
  pid: number;
  version: string;
  protocolVersion: number;
  home: string;
  socket: string;
  log: string;
  /** Whether this call started it (else it was running). */
  started: boolean;
}

export interface BootstrapResult {
  facts: RemoteFacts;
  bundle: EngineBundle;
  engineDir: string;
  /** The remote Node binary the engine runs under. */
  node: string;
  /** Whether the bundle was uploaded now (else it was there, intact). */
  uploaded: boolean;
  /** After an upload: renamed into place, found there already (another client won), or replaced a damaged copy. */
  installed?: 'renamed' | 'present' | 'replaced';
  daemon: RemoteDaemonInfo;
  /** Taken from this client's record of the last connection, without running anything there (reuse-record.ts). */
  reused?: boolean;
  /** `podsmith doctor -o json` on the host, when it ran (after an upload, or when asked). */
  doctor?: DoctorReport;
  /** Milliseconds per step. */
  timings: Record<string, number>;
}

export class BootstrapError extends Error {
  override name = 'BootstrapError';
}

export interface BootstrapOptions {
  /** The remote Node binary (default `node` on the login's PATH). */
  node?: string;
  /** Run the remote doctor: after an upload (default), always, or never. */
  doctor?: 'on-install' | 'always' | 'never';
  /** RemoteHost: false always probes and runs `daemon start` (default: reuse the daemon the last connection found). */
  reuse?: boolean;
  /** dist/ to take the bundle from (tests). */
  dist?: string;
  log?(line: string): void;
  /** Tests: called after the upload, before the rename into place (to line up racing clients). */
  beforeInstall?(): Promise<void>;
}

export async function bootstrapEngine(ssh: SshConnection, opts: BootstrapOptions = {}): Promise<BootstrapResult> {
  const node = opts.node ?? 'node';
  const timings: Record<string, number> = {};
  const timed = async <T>(step: string, fn: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    try {
      return await fn();
    } finally {
      timings[step] = Math.round((performance.now() - t) * 10) / 10;
    }
  };
  const where = ssh.label;

  // The bundle's identity depends on the host's architecture, so the probe runs with a provisional list
  // (this machine's) and again only when the host turns out to differ.
  let bundle = engineBundle(process.arch, 'glibc', opts.dist);
  let facts = await timed('probe', () => probe(ssh, node, bundle));
  if (facts.platform !== 'linux') throw new BootstrapError(`${where} runs ${facts.platform}; the Podsmith engine runs on Linux only`);
  if (parseInt(facts.node, 10) < MIN_REMOTE_NODE_MAJOR) {
    throw new BootstrapError(`${where} has Node ${facts.node} (${node}); the engine needs Node ${MIN_REMOTE_NODE_MAJOR} or later there (apt-get install nodejs, or name another binary with 'podsmith host add NAME URL --node PATH')`);
  }
  try {
    const right = engineBundle(facts.arch, facts.libc, opts.dist);
    if (right.id !== bundle.id) {
      bundle = right;
      facts = await timed('probe', () => probe(ssh, node, bundle));
    }
  } catch (err) {
    throw new BootstrapError(`${where} (${facts.arch}, ${facts.libc}): ${(err as Error).message}`);
  }
  const engineDir = facts.engineDir!;
  let uploaded = false;
  let installed: BootstrapResult['installed'];
  if (facts.installed !== 'ok') {
    opts.log?.(`${where}: ${facts.installed === 'corrupt' ? 'the engine there is damaged; installing it again' : 'installing the engine'} (${bundle.id}) in ${engineDir}`);
    installed = await timed('upload', () => upload(ssh, facts.engineRoot!, engineDir, bundle, node, opts.beforeInstall));
    uploaded = true;
  }
  const daemon = await timed('daemon', () => startDaemon(ssh, node, engineDir));
  let doctor: DoctorReport | undefined;
  const when = opts.doctor ?? 'on-install';
  if (when === 'always' || (when === 'on-install' && uploaded)) {
    doctor = await timed('doctor', () => runDoctor(ssh, node, engineDir));
    const failing = doctor?.checks.filter((c) => c.status === 'fail') ?? [];
    if (failing.length) {
      opts.log?.(`${where} cannot run pod-containers yet: ${failing.map((c) => `${c.name}: ${c.detail}${c.fix ? ` (${c.fix})` : ''}`).join('; ')}`);
    }
  }
  return { facts, bundle, engineDir, node, uploaded, installed, daemon, doctor, timings };
}

/** Runs a remote script; its stdout is one JSON object. */
async function runScript<T>(ssh: SshConnection, node: string, which: 'probe' | 'install', params: unknown): Promise<T> {
  const r = await ssh.run(scriptCommand(node), scriptSource(which, params));
  if (r.code === 127) {
    throw new BootstrapError(
      `Node.js is not installed on ${ssh.label}, or not on the PATH of non-interactive SSH logins (${node}: command not found). Install Node ${MIN_REMOTE_NODE_MAJOR} or later there (apt-get install nodejs), or name it with 'podsmith host add NAME URL --node /path/to/node'`,
    );
  }
  if (r.code !== 0) throw new BootstrapError(`the ${which} step failed on ${ssh.label} (exit ${r.code ?? r.signal}): ${lastLines(r.stderr)}`);
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new BootstrapError(`the ${which} step on ${ssh.label} printed something else than its answer (a login script that writes to stdout?): ${lastLines(r.stdout)}`);
  }
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-5).join(' | ').slice(0, 1000) || '(no output)';
}

function probe(ssh: SshConnection, node: string, bundle: EngineBundle): Promise<RemoteFacts> {
  return runScript<RemoteFacts>(ssh, node, 'probe', { bundleId: bundle.id, files: bundle.files.map((f) => ({ path: f.path, sha256: f.sha256 })) });
}

async function upload(ssh: SshConnection, root: string, final: string, bundle: EngineBundle, node: string, beforeInstall?: () => Promise<void>): Promise<BootstrapResult['installed']> {
  const tmp = posix.join(root, `.tmp-${randomBytes(8).toString('hex')}`);
  const sftp = await ssh.sftp();
  try {
    await sftpCall<void>((cb) => sftp.mkdir(tmp, { mode: 0o700 }, cb));
    const made = new Set<string>([tmp]);
    for (const f of bundle.files) {
      const target = posix.join(tmp, f.path);
      // Parents first, each created owner-only.
      const parts = posix.dirname(f.path).split('/').filter((p) => p !== '.');
      let dir = tmp;
      for (const p of parts) {
        dir = posix.join(dir, p);
        if (made.has(dir)) continue;
        await sftpCall<void>((cb) => sftp.mkdir(dir, { mode: 0o700 }, cb));
        made.add(dir);
      }
      await sftpCall<void>((cb) => sftp.fastPut(f.source, target, { mode: 0o600 }, cb));
    }
  } catch (err) {
    sftp.end();
    throw new BootstrapError(`uploading the engine to ${ssh.label} failed: ${(err as Error).message}`);
  }
  sftp.end();
  await beforeInstall?.();
  const r = await runScript<{ installed?: BootstrapResult['installed']; error?: string }>(ssh, node, 'install', {
    tmp,
    final,
    files: bundle.files.map((f) => ({ path: f.path, sha256: f.sha256, mode: f.mode })),
  });
  if (r.error) throw new BootstrapError(`${ssh.label}: ${r.error}`);
  return r.installed;
}

function sftpCall<T>(fn: (cb: (err: Error | null | undefined, v?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v as T))));
}

/** `podsmith daemon start -o json` there: starts the daemon unless one runs, and says where its socket is. */
async function startDaemon(ssh: SshConnection, node: string, engineDir: string): Promise<RemoteDaemonInfo> {
  const r = await ssh.run(commandLine([node, posix.join(engineDir, 'podsmith.js'), 'daemon', 'start', '-o', 'json']));
  if (r.code !== 0) throw new BootstrapError(`cannot start the engine daemon on ${ssh.label}: ${lastLines(r.stderr || r.stdout)}`);
  try {
    return JSON.parse(r.stdout) as RemoteDaemonInfo;
  } catch {
    throw new BootstrapError(`'podsmith daemon start' on ${ssh.label} printed something else than its answer: ${lastLines(r.stdout)}`);
  }
}

async function runDoctor(ssh: SshConnection, node: string, engineDir: string): Promise<DoctorReport | undefined> {
  const r = await ssh.run(commandLine([node, posix.join(engineDir, 'podsmith.js'), 'doctor', '-o', 'json']), undefined, 300_000);
  try {
    return JSON.parse(r.stdout) as DoctorReport;
  } catch {
    return undefined;
  }
}

/** The remote command line of an engine command (dial-stdio, the port-forward helper). */
export function engineCommand(boot: Pick<BootstrapResult, 'node' | 'engineDir'>, args: string[]): string {
  return commandLine([boot.node, posix.join(boot.engineDir, 'podsmith.js'), ...args]);
}
