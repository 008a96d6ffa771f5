// The direct pause: catatonit started straight into the pod's new namespaces by a small launcher
// (pause-launcher.ts), not as an OCI container under conmon and runc. The pause is Podsmith's own static
// binary, not user code: it needs neither conmon (no logs, no exit code worth keeping) nor runc's generality,
// and those cost about 50 ms on a quiet machine on every run_pod's critical path.
//
// What it keeps from the pause container: its own cgroup below the pod's (joined before anything runs; the
// pod's limits are written before it starts), new mount/network/IPC/UTS/pid namespaces with the pod hostname,
// the read-only pause rootfs as its only mount, uid/gid 65535, no capabilities in any set (bounding
// included), no_new_privs, RLIMIT_NOFILE, and the same seccomp profile (compiled with libseccomp, as runc
// does). What differs: no /proc, /dev or /sys mounts inside it (catatonit uses none), no masked paths (there
// is no /proc to mask), and cgroup v1 device rules deny every device by the pause's devices cgroup where
// runc wrote its default list (the pause has no device node and no CAP_MKNOD either way). Its pid and start
// time are recorded, as for containers, so a restarted daemon finds it; teardown kills it through the pod
// cgroup, stop and the supervisor by pid and start time.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { buildBundleConfig, type PodFacts } from '../image/bundle';
import { isRootless } from '../rootless/identity';
import { compileSeccomp, type OciSeccomp } from '../../native/seccomp-bpf';
import { cgroupDir, cgroupMounts, type CgroupMount } from './cgroups';
import { RuntimeError } from './errors';
import { findExecutable } from './executables';
import { CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUTS, pauseLauncherScript } from './pause-launcher';
import { pauseBundleInput, PAUSE_USER } from './pause';
import { procStat } from './processes';

export interface DirectPauseOptions {
  /** The pause rootfs (ensurePauseRootfs). */
  rootfs: string;
  pod: PodFacts;
  /** The pause's own cgroup, below the pod's. */
  cgroupPath: string;
  timeoutMs: number;
}

export interface DirectPause {
  pid: number;
  startTime: string;
}

/** Why the direct pause cannot be used here, or undefined when it can (checked once per process). */
let unavailable: string | undefined | null = null;

export function directPauseUnavailable(): string | undefined {
  if (unavailable !== null) return unavailable;
  unavailable = (() => {
    if (process.platform !== 'linux') return 'not Linux';
    if (process.getuid?.() !== 0) return 'not root';
    // A rootless engine (root only inside its user namespace): the OCI runtime's pause knows the id mapping and
    // the cgroups it may not create (engine/rootless/bundle.ts); the launcher does not.
    if (isRootless()) return 'a rootless engine';
    if (!pauseLauncherScript()) return `no syscall table for ${process.arch}`;
    if (!findExecutable('perl')) return 'perl is not installed';
    return undefined;
  })();
  return unavailable;
}

/** After a launch failed for a reason of this host (not of one pod): later pods use the runtime's pause. */
export function markDirectPauseUnavailable(reason: string): void {
  unavailable = reason;
}

const programs = new Map<string, Buffer>();

/** The pause's seccomp program: its OCI config's profile, compiled once per process. */
function seccompProgram(profile: OciSeccomp): Buffer {
  const key = createHash('sha256').update(JSON.stringify(profile)).digest('hex');
  let bpf = programs.get(key);
  if (!bpf) {
    bpf = compileSeccomp(profile);
    programs.set(key, bpf);
  }
  return bpf;
}

let lastCap: number | undefined;

function capLastCap(): number {
  lastCap ??= Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim());
  return lastCap;
}

/**
 * Makes cgroup `path` in every hierarchy and returns the cgroup.procs files to join. v1 cpuset directories
 * start empty (no cpu, no memory node: nothing may join) and get their parent's sets, as runc gives them; on
 * v2 the parents enable every controller they have for their children, as runc does.
 */
async function prepareCgroup(path: string): Promise<string[]> {
  return Promise.all(
    cgroupMounts()
      .filter((m) => cgroupDir(m, path))
      .map(async (m) => {
        await makeCgroupDirs(m, path);
        return join(cgroupDir(m, path)!, 'cgroup.procs');
      }),
  );
}

async function makeCgroupDirs(m: CgroupMount, path: string): Promise<void> {
  const leaf = cgroupDir(m, path)!;
  // The first directory made (undefined: all existed); only those below need their parent's settings.
  const first = await mkdir(leaf, { recursive: true });
  if (first) {
    const made: string[] = [];
    for (let d = leaf; d.length >= first.length; d = dirname(d)) made.unshift(d);
    for (const dir of made) {
      const parent = dirname(dir);
      if (m.version === 2) {
        const controllers = (await readFile(join(parent, 'cgroup.controllers'), 'utf8').catch(() => '')).split(/\s+/).filter(Boolean);
        if (controllers.length) await writeFile(join(parent, 'cgroup.subtree_control'), controllers.map((c) => `+${c}`).join(' ')).catch(() => undefined);
      } else if (m.controllers.includes('cpuset')) {
        for (const f of ['cpuset.cpus', 'cpuset.mems']) {
          const mine = (await readFile(join(dir, f), 'utf8').catch(() => '')).trim();
          if (!mine) await writeFile(join(dir, f), (await readFile(join(parent, f), 'utf8')).trim());
        }
      }
    }
  }
  // What runc writes for the pause container: the smallest CPU share, and (v1) no device at all.
  if (m.version === 1 && m.controllers.includes('cpu')) await writeFile(join(leaf, 'cpu.shares'), '2').catch(() => undefined);
  if (m.version === 1 && m.controllers.includes('devices')) await writeFile(join(leaf, 'devices.deny'), 'a').catch(() => undefined);
  if (m.version === 2) await writeFile(join(leaf, 'cpu.weight'), '1').catch(() => undefined);
}

/** The pod cgroup and the pause's below it, in every hierarchy; call before the pod's limits are written. */
export async function prepareDirectPauseCgroup(cgroupPath: string): Promise<string[]> {
  return prepareCgroup(cgroupPath);
}

/**
 * Starts the pause. `joins` are the cgroup.procs files from prepareDirectPauseCgroup. Rejects with the
 * launcher's message when it fails; nothing of the pause is left then (its cgroup directories stay for the
 * pod's teardown).
 */
export async function startDirectPause(o: DirectPauseOptions, joins: string[]): Promise<DirectPause> {
  const script = pauseLauncherScript();
  const perl = findExecutable('perl');
  if (!script || !perl) throw new RuntimeError(`the direct pause cannot run here: ${directPauseUnavailable() ?? 'no launcher'}`, 'NOT_INSTALLED');
  const { config } = buildBundleConfig(pauseBundleInput({ pod: o.pod, rootfs: o.rootfs, cgroupsPath: o.cgroupPath }));
  const seccomp = config.linux?.seccomp as OciSeccomp | undefined;
  if (!seccomp) throw new RuntimeError('the pause has no seccomp profile to load', 'FAILED');
  const bpf = seccompProgram(seccomp);
  const kinds = new Set((config.linux?.namespaces ?? []).map((n) => n.type));
  const flags =
    (kinds.has('mount') ? CLONE_NEWNS : 0) |
    (kinds.has('network') ? CLONE_NEWNET : 0) |
    (kinds.has('ipc') ? CLONE_NEWIPC : 0) |
    (kinds.has('uts') ? CLONE_NEWUTS : 0) |
    (kinds.has('pid') ? CLONE_NEWPID : 0);
  const nofile = config.process.rlimits?.find((r) => r.type === 'RLIMIT_NOFILE');
  const args = [
    '-e',
    script,
    '--',
    String(flags),
    kinds.has('uts') ? (config.hostname ?? '') : '',
    o.rootfs,
    String(PAUSE_USER),
    String(PAUSE_USER),
    String(nofile?.soft ?? 0),
    String(nofile?.hard ?? 0),
    String(capLastCap()),
    ...joins,
  ];
  const child = spawn(perl, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true, env: {} });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  child.stdin!.on('error', () => undefined);
  child.stdin!.end(bpf);
  const code = await new Promise<number | string>((resolve) => {
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone
      }
      resolve('timeout');
    }, o.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve(err.message);
    });
    child.on('close', (c) => {
      clearTimeout(timer);
      resolve(c ?? -1);
    });
  });
  if (code === 'timeout') throw new RuntimeError(`the pause did not start within ${o.timeoutMs / 1000} s`, 'TIMEOUT');
  if (code !== 0) throw new RuntimeError(`the pause could not start: ${stderr.trim() || code}`, 'FAILED', stderr.trim());
  const pid = Number(stdout.trim());
  const startTime = procStat(pid)?.startTime;
  if (!(pid > 0) || !startTime) throw new RuntimeError(`the pause started but is gone (pid ${stdout.trim() || '?'})`, 'FAILED');
  return { pid, startTime };
}
