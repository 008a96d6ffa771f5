// TEST ONLY: homes, test daemons, CLI runs and the leak check the daemon tests share.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { connect } from 'node:net';
import { daemonPaths } from '../../../engine/daemon/paths';
import { spawnDaemon, type DaemonCommand } from '../../../engine/client/start-daemon';
import { main } from '../../../engine/cli/main';
import type { Io } from '../../../engine/cli/io';
import { alive, ProcessRuntime } from './process-runtime';
import { sandboxProcesses } from '../../support/leaks';

export const REPO = resolve(__dirname, '../../..');
export const TSX = pathToFileURL(require.resolve('tsx')).href;

/** Starts the daemon with the test runtime (what the client's auto-start runs in these tests). */
export function testDaemonCommand(): DaemonCommand {
  return { command: process.execPath, args: ['--import', TSX, join(__dirname, 'test-daemon.ts')] };
}

/** Short path: the socket path must stay under 108 bytes. */
export function makeHome(): string {
  return mkdtempSync('/tmp/psd-');
}

export function daemonPid(home: string): number | undefined {
  try {
    return Number(readFileSync(daemonPaths(home).pidFile, 'utf8').trim()) || undefined;
  } catch {
    return undefined;
  }
}

/** Polls `check` until it holds, within `timeoutMs`: for state that sends no event (other processes, the daemon's answers); output and files have event-driven waits in test/support/wait.ts. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function socketAnswers(home: string): Promise<boolean> {
  return new Promise((r) => {
    const s = connect(daemonPaths(home).socket);
    s.once('connect', () => (s.destroy(), r(true)));
    s.once('error', () => r(false));
  });
}

/** Starts a test daemon detached (as the client would) and waits until it listens; returns its pid. */
export async function startTestDaemon(home: string): Promise<number> {
  spawnDaemon(daemonPaths(home), testDaemonCommand());
  await waitFor('the daemon socket', () => socketAnswers(home));
  return daemonPid(home)!;
}

/** SIGTERM (or SIGKILL) the daemon and wait for it to be gone. */
export async function stopDaemon(home: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  const pid = daemonPid(home);
  if (!pid || !alive(pid)) return;
  process.kill(pid, signal);
  await waitFor(`daemon ${pid} to exit`, () => !alive(pid), 10_000).catch(() => process.kill(pid, 'SIGKILL'));
  await waitFor(`daemon ${pid} to exit`, () => !alive(pid), 5_000);
}

/** Every process started for this home: its environment names the home (daemon, containers, exec'd commands). */
export function processesOf(home: string): number[] {
  const needle = Buffer.from(`PODSMITH_HOME=${home}\0`);
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${name}/environ`).includes(needle) && alive(Number(name))) out.push(Number(name));
    } catch {
      // gone, or not ours to read
    }
  }
  // wasm pod sandboxes (their environment is the sandbox's own) are known by their cgroup.
  for (const { pid } of sandboxProcesses(home)) if (!out.includes(pid) && alive(pid)) out.push(pid);
  return out;
}

/** Stops everything a test started for this home, then removes it; returns what was still alive ("PID COMMAND"). */
export async function cleanupHome(home: string): Promise<string[]> {
  await stopDaemon(home, 'SIGTERM');
  for (const pid of ProcessRuntime.pids(home)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await waitFor('container processes to exit', () => ProcessRuntime.pids(home).every((p) => !alive(p)), 5_000).catch(() => {});
  // Their children (a `sleep` in a shell loop) die with the group, a moment later: what is still there after
  // that is a leak.
  await waitFor('their children to exit', () => processesOf(home).length === 0, 5_000).catch(() => {});
  const left: string[] = [];
  for (const pid of processesOf(home)) {
    // Say what it was: a leak is only fixable when one knows whose it is.
    let what = '?';
    try {
      what = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim().slice(0, 300);
    } catch {
      // gone meanwhile
    }
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
    // tsx's esbuild compile service, started by a daemon or CLI run from source, can outlive its parent for a
    // while: a helper of the test loader, not something Podsmith started. It is killed, not counted.
    if (/\/esbuild --service=/.test(what)) continue;
    left.push(`${pid} ${what}`);
  }
  if (existsSync(home)) rmSync(home, { recursive: true, force: true });
  return left;
}

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

/** The CLI as a user runs it: a separate process, optional stdin, PODSMITH_HOME set. */
export function cli(args: string[], home: string, input?: string | Buffer): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, join(REPO, 'engine/cli/main.ts'), ...args], {
      env: { ...process.env, PODSMITH_HOME: home },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code: code ?? -1, out, err }));
    child.stdin.on('error', () => {});
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}

/** The CLI in this process (fast); the home must be in process.env.PODSMITH_HOME already. */
export async function runMain(args: string[]): Promise<CliResult> {
  let out = '';
  let err = '';
  const io: Io = { out: (s) => void (out += s), err: (s) => void (err += s) };
  const code = await main(args, io);
  return { code, out, err };
}
