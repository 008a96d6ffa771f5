// cgroups of pods: each pod gets a parent `/podsmith/<pod-uid>` and each container a leaf below it, in every
// hierarchy (v1, hybrid or v2, cgroupfs only: no systemd here). runc creates the directories when it creates
// a container (enabling v2 controllers on the way); this module writes the pod-level limits on the parent,
// reads OOM kill counters, and removes what is left when a pod goes.
import { readdirSync, readFileSync } from 'node:fs';
import { readFile, readdir, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { signalProcess } from './processes';
import { cgroupsWritable, podCgroupBase } from '../rootless/cgroup-access';

export const CGROUP_ROOT_NAME = 'podsmith';

export interface CgroupMount {
  /** Where the hierarchy is mounted. */
  path: string;
  /** The cgroup path the mount shows as its root (`/` unless we run inside someone's container). */
  root: string;
  version: 1 | 2;
  /** v1: the controllers of the hierarchy (`memory`, `name=systemd`); v2: empty. */
  controllers: string[];
}

export type CgroupMode = 'v1' | 'hybrid' | 'v2' | 'none';

let cachedMounts: CgroupMount[] | undefined;

/** Parses /proc/self/mountinfo into cgroup hierarchies (one entry per mount point). */
export function parseCgroupMounts(mountinfo: string): CgroupMount[] {
  const out: CgroupMount[] = [];
  const seen = new Set<string>();
  for (const line of mountinfo.split('\n')) {
    const dash = line.indexOf(' - ');
    if (dash < 0) continue;
    const before = line.slice(0, dash).split(' ');
    const [fstype, , superOptions = ''] = line.slice(dash + 3).split(' ');
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue;
    const path = unescapeMountPath(before[4]);
    if (seen.has(path)) continue;
    seen.add(path);
    const controllers =
      fstype === 'cgroup'
        ? superOptions.split(',').filter((o) => o !== 'rw' && o !== 'ro' && !o.startsWith('release_agent=') && o !== 'clone_children' && o !== 'noprefix' && o !== 'xattr' && o !== 'cpuset_v2_mode')
        : [];
    out.push({ path, root: unescapeMountPath(before[3]), version: fstype === 'cgroup' ? 1 : 2, controllers });
  }
  return out;
}

/** mountinfo escapes space, tab, newline and backslash as octal. */
function unescapeMountPath(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function cgroupMounts(): CgroupMount[] {
  cachedMounts ??= parseCgroupMounts(readFileSync('/proc/self/mountinfo', 'utf8'));
  return cachedMounts;
}

export function cgroupMode(mounts: CgroupMount[] = cgroupMounts()): CgroupMode {
  const v1 = mounts.some((m) => m.version === 1 && m.controllers.some((c) => !c.startsWith('name=')));
  const v2 = mounts.some((m) => m.version === 2);
  if (v1 && v2) return 'hybrid';
  if (v1) return 'v1';
  return v2 ? 'v2' : 'none';
}

/** The cgroup parent of a pod, as an absolute cgroup path. */
export function podCgroupPath(podUid: string): string {
  // `/podsmith`, or below the cgroup delegated to a rootless user (engine/rootless/cgroup-access.ts).
  return `${podCgroupBase()}/${podUid}`;
}

/** A container's cgroupsPath: unique per container, or runc's default (from the id alone) could collide. */
export function containerCgroupPath(podUid: string, containerId: string): string {
  return `${podCgroupPath(podUid)}/${containerId}`;
}

/** Directory of cgroup `path` inside `mount`, or undefined when the mount's root does not contain it. */
export function cgroupDir(mount: CgroupMount, path: string): string | undefined {
  const root = mount.root === '/' ? '' : mount.root;
  if (root && !path.startsWith(root + '/')) return undefined;
  return join(mount.path, path.slice(root.length));
}

/** The mount that holds `controller` (a v1 hierarchy, else the v2 one). */
export function controllerMount(controller: string, mounts: CgroupMount[] = cgroupMounts()): CgroupMount | undefined {
  const v1 = mounts.find((m) => m.version === 1 && m.controllers.includes(controller));
  if (v1) return v1;
  const v2 = mounts.find((m) => m.version === 2);
  if (!v2) return undefined;
  try {
    const available = readFileSync(join(v2.path, 'cgroup.controllers'), 'utf8').split(/\s+/);
    return available.includes(controller) ? v2 : undefined;
  } catch {
    return undefined;
  }
}

export interface PodLimits {
  memoryBytes?: number;
  /** CFS quota and period in microseconds. */
  cpuQuotaUs?: number;
  cpuPeriodUs?: number;
  pids?: number;
}

async function writeIn(controller: string, path: string, file: string, value: string): Promise<void> {
  const mount = controllerMount(controller);
  const dir = mount && cgroupDir(mount, path);
  if (!dir) return;
  await writeFile(join(dir, file), value);
}

/** Writes pod-level limits on an existing pod cgroup (v1 or v2 file names). */
export async function applyPodLimits(podUid: string, limits: PodLimits): Promise<void> {
  if (!cgroupsWritable()) return;
  const path = podCgroupPath(podUid);
  const v2 = (c: string) => controllerMount(c)?.version === 2;
  if (limits.memoryBytes !== undefined) {
    if (v2('memory')) await writeIn('memory', path, 'memory.max', String(limits.memoryBytes));
    else await writeIn('memory', path, 'memory.limit_in_bytes', String(limits.memoryBytes));
  }
  if (limits.cpuQuotaUs !== undefined) {
    const period = limits.cpuPeriodUs ?? 100_000;
    if (v2('cpu')) await writeIn('cpu', path, 'cpu.max', `${limits.cpuQuotaUs} ${period}`);
    else {
      await writeIn('cpu', path, 'cpu.cfs_period_us', String(period));
      await writeIn('cpu', path, 'cpu.cfs_quota_us', String(limits.cpuQuotaUs));
    }
  }
  if (limits.pids !== undefined) await writeIn('pids', path, 'pids.max', String(limits.pids));
}

/** How many processes the kernel OOM-killed in cgroup `path` (hierarchically on v2), or undefined when unknown. */
export async function oomKillCount(path: string): Promise<number | undefined> {
  const mount = controllerMount('memory');
  const dir = mount && cgroupDir(mount, path);
  if (!dir) return undefined;
  try {
    const text = await readFile(join(dir, mount.version === 2 ? 'memory.events' : 'memory.oom_control'), 'utf8');
    const m = /^oom_kill (\d+)$/m.exec(text);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Pids in cgroup `path` and below (read from one hierarchy that has it). */
export async function cgroupPids(path: string): Promise<number[]> {
  const mount = controllerMount('pids') ?? controllerMount('memory') ?? cgroupMounts()[0];
  const dir = mount && cgroupDir(mount, path);
  if (!dir) return [];
  const pids: number[] = [];
  const walk = async (d: string): Promise<void> => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    // This directory's processes and its children's, read at once (teardown waits on this walk).
    await Promise.all([
      readFile(join(d, 'cgroup.procs'), 'utf8').then(
        (text) => {
          for (const line of text.split('\n')) if (line) pids.push(Number(line));
        },
        () => undefined, // The directory went away meanwhile.
      ),
      ...entries.filter((e) => e.isDirectory()).map((e) => walk(join(d, e.name))),
    ]);
  };
  await walk(dir);
  return pids;
}

/** Subdirectories of `dir`, deepest first, then `dir` itself. */
function treeDeepestFirst(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) if (e.isDirectory()) walk(join(d, e.name));
    out.push(d);
  };
  walk(dir);
  return out;
}

/**
 * Removes cgroup `path` and everything below it from every hierarchy. Processes still inside are killed first
 * (a teardown must not leave a container that lost its conmon); EBUSY right after an exit is retried briefly.
 */
export async function removeCgroupTree(path: string, timeoutMs = 3000): Promise<string[]> {
  for (const pid of await cgroupPids(path)) signalProcess(pid, 'SIGKILL');
  const left: string[] = [];
  const deadline = Date.now() + timeoutMs;
  // The hierarchies one beside the other: each is a tree of its own.
  await Promise.all(cgroupMounts().map(async (mount) => {
    const dir = cgroupDir(mount, path);
    if (!dir) return;
    for (const d of treeDeepestFirst(dir)) {
      for (;;) {
        try {
          await rmdir(d);
          break;
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') break;
          if (code === 'EBUSY' && Date.now() < deadline) {
            await new Promise((r) => setTimeout(r, 5));
            continue;
          }
          left.push(d);
          break;
        }
      }
    }
  }));
  return left;
}

/** Pod uids that have a cgroup parent in any hierarchy (for leak checks and orphan cleanup). */
export function listPodCgroups(): string[] {
  const uids = new Set<string>();
  for (const mount of cgroupMounts()) {
    const dir = cgroupDir(mount, podCgroupBase());
    if (!dir) continue;
    try {
      for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) uids.add(e.name);
    } catch {
      // No podsmith directory in this hierarchy.
    }
  }
  return [...uids];
}
