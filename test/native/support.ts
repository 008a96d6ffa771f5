// Shared test helpers for test/native: temp dirs, a busybox-static OCI bundle, runc/conmon availability and
// cleanup. Every resource a test makes is registered with a Cleanup and released in reverse order.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const RUNC = '/usr/sbin/runc';
export const CONMON = '/usr/bin/conmon';
export const BUSYBOX = '/bin/busybox';

/** Why container tests cannot run here, or undefined when they can. */
export function containerSkipReason(needConmon = false): string | undefined {
  if (process.platform !== 'linux') return 'Linux only';
  if (process.getuid?.() !== 0) return 'needs root for runc';
  for (const p of [RUNC, BUSYBOX, ...(needConmon ? [CONMON] : [])]) if (!existsSync(p)) return `${p} is not installed`;
  return undefined;
}

export class Cleanup {
  #steps: Array<() => void | Promise<void>> = [];
  add(step: () => void | Promise<void>): void {
    this.#steps.push(step);
  }
  async run(): Promise<void> {
    const errors: unknown[] = [];
    for (const step of this.#steps.reverse()) {
      try {
        await step();
      } catch (e) {
        errors.push(e);
      }
    }
    this.#steps = [];
    if (errors.length) throw new AggregateError(errors, 'cleanup failed');
  }
}

/** A fresh directory under /tmp (short, so socket paths stay under 108 bytes), removed by `cleanup`. */
export function tempDir(cleanup: Cleanup, prefix = 'podsmith-native-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanup.add(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function uniqueId(prefix = 'psn'): string {
  return `${prefix}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

export interface BundleOptions {
  args: string[];
  terminal: boolean;
  /** cgroupsPath, unique per container (the default derives from the id and may collide across hosts). */
  cgroupsPath: string;
}

const APPLETS = ['sh', 'cat', 'echo', 'stty', 'tty', 'sleep'];

/** Writes an OCI bundle (busybox-static rootfs + config.json) into `dir`. */
export function writeBusyboxBundle(dir: string, opts: BundleOptions): void {
  const bin = join(dir, 'rootfs', 'bin');
  mkdirSync(bin, { recursive: true });
  for (const d of ['proc', 'dev', 'sys', 'tmp']) mkdirSync(join(dir, 'rootfs', d), { recursive: true });
  copyFileSync(BUSYBOX, join(bin, 'busybox'));
  for (const a of APPLETS) symlinkSync('busybox', join(bin, a));
  const config = {
    ociVersion: '1.0.2',
    process: {
      terminal: opts.terminal,
      user: { uid: 0, gid: 0 },
      args: opts.args,
      env: ['PATH=/bin', 'TERM=xterm'],
      cwd: '/',
      capabilities: {
        bounding: ['CAP_KILL', 'CAP_AUDIT_WRITE'],
        effective: ['CAP_KILL', 'CAP_AUDIT_WRITE'],
        permitted: ['CAP_KILL', 'CAP_AUDIT_WRITE'],
      },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'native-test',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    ],
    linux: {
      cgroupsPath: opts.cgroupsPath,
      namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'network' }],
      maskedPaths: ['/proc/kcore', '/proc/keys', '/sys/firmware'],
      readonlyPaths: ['/proc/sys', '/proc/sysrq-trigger'],
    },
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2));
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command to completion (argument array, no shell) with a timeout. `quiet` discards its output: for
 * `runc create` of a container without a terminal, whose process inherits (and holds) runc's stdio.
 */
export function run(file: string, args: string[], timeoutMs = 20_000, quiet = false): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: quiet ? 'ignore' : ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d) => (stdout += d));
    child.stderr?.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export async function runOk(file: string, args: string[], timeoutMs?: number, quiet = false): Promise<string> {
  const r = await run(file, args, timeoutMs, quiet);
  if (r.code !== 0) throw new Error(`${file} ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Registers `runc delete -f` for the container (a no-op if it is already gone). */
export function deleteContainerOnCleanup(cleanup: Cleanup, root: string, id: string): void {
  cleanup.add(async () => {
    await run(RUNC, ['--root', root, 'delete', '--force', id]);
  });
}

/** Whether a process id is alive (signal 0). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls `probe` until it answers, within `timeoutMs`: for what sends no event (files conmon writes, processes that are not our children). */
export async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 10_000, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export function readPid(path: string): number | undefined {
  try {
    const n = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Whether runc left any cgroup directory named `cgroupsPath` behind (every hierarchy is checked). */
export function leftoverCgroups(cgroupsPath: string): string[] {
  const base = '/sys/fs/cgroup';
  return readdirSync(base)
    .map((h) => join(base, h, cgroupsPath))
    .filter((p) => existsSync(p));
}
