// Which cgroup layout this host has (v1, v2 or hybrid) and which controllers pods can use. The limits pods
// need are memory, cpu and pids. Read from mountinfo so the rules can be tested on other machines' layouts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { timed, type CheckResult } from './types';

export type CgroupMode = 'v1' | 'v2' | 'hybrid' | 'none';

export interface CgroupMount {
  mountPoint: string;
  fsType: 'cgroup' | 'cgroup2';
  /** v1: the controllers this hierarchy holds (from its super options). Empty for cgroup2 and named ones. */
  controllers: string[];
}

export interface CgroupLayout {
  mode: CgroupMode;
  mounts: CgroupMount[];
  /** Controllers on v1 hierarchies. */
  v1Controllers: string[];
  /** Controllers the cgroup2 mount holds (its cgroup.controllers). */
  v2Controllers: string[];
  /** Where cgroup2 is mounted, if it is. */
  unifiedMount?: string;
}

export const REQUIRED_CONTROLLERS = ['memory', 'cpu', 'pids'];

const V1_CONTROLLERS = new Set(['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'net_cls', 'net_prio', 'blkio', 'perf_event', 'hugetlb', 'pids', 'rdma', 'misc']);

/** mountinfo escapes spaces and the like as \040 octal sequences. */
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function parseCgroupMounts(mountinfo: string): CgroupMount[] {
  const out: CgroupMount[] = [];
  for (const line of mountinfo.split('\n')) {
    const dash = line.indexOf(' - ');
    if (dash < 0) continue;
    const left = line.slice(0, dash).split(' ');
    const [fsType, , superOpts = ''] = line.slice(dash + 3).split(' ');
    if (fsType !== 'cgroup' && fsType !== 'cgroup2') continue;
    const controllers = fsType === 'cgroup' ? superOpts.split(',').filter((o) => V1_CONTROLLERS.has(o)) : [];
    out.push({ mountPoint: unescape(left[4] ?? ''), fsType, controllers });
  }
  return out;
}

/** Classifies the mounts; `readControllers` reads a cgroup2 mount's cgroup.controllers. */
export function cgroupLayout(mounts: CgroupMount[], readControllers: (mountPoint: string) => string[]): CgroupLayout {
  const v1Controllers = [...new Set(mounts.flatMap((m) => m.controllers))].sort();
  const unified = mounts.find((m) => m.fsType === 'cgroup2');
  const v2Controllers = unified ? readControllers(unified.mountPoint).sort() : [];
  const mode: CgroupMode = unified ? (v1Controllers.length ? 'hybrid' : 'v2') : v1Controllers.length ? 'v1' : 'none';
  return { mode, mounts, v1Controllers, v2Controllers, ...(unified ? { unifiedMount: unified.mountPoint } : {}) };
}

function readV2Controllers(mountPoint: string): string[] {
  try {
    return readFileSync(join(mountPoint, 'cgroup.controllers'), 'utf8').trim().split(/\s+/).filter(Boolean);
  } catch {
    return [];
  }
}

/** Controllers pods' limits go through: v1's where v1 is in use (v1, hybrid), else cgroup2's. */
export function usableControllers(l: CgroupLayout): string[] {
  return l.mode === 'v2' ? l.v2Controllers : l.v1Controllers;
}

export function describeLayout(l: CgroupLayout): string {
  switch (l.mode) {
    case 'v2':
      return `cgroup v2 at ${l.unifiedMount} (${l.v2Controllers.join(', ') || 'no controllers'})`;
    case 'v1':
      return `cgroup v1 (${l.v1Controllers.join(', ')})`;
    case 'hybrid':
      return `hybrid: cgroup v1 (${l.v1Controllers.join(', ')}) plus cgroup2 at ${l.unifiedMount}${l.v2Controllers.length ? ` holding ${l.v2Controllers.join(', ')}` : ''}`;
    default:
      return 'no cgroup filesystem mounted';
  }
}

export function cgroupsCheckFrom(layout: CgroupLayout): Omit<CheckResult, 'status' | 'ms' | 'name' | 'group' | 'required'> {
  const facts = { mode: layout.mode, v1Controllers: layout.v1Controllers, v2Controllers: layout.v2Controllers, ...(layout.unifiedMount ? { unifiedMount: layout.unifiedMount } : {}) };
  if (layout.mode === 'none') {
    return { ok: false, detail: describeLayout(layout), fix: 'mount cgroup2 on /sys/fs/cgroup (mount -t cgroup2 none /sys/fs/cgroup)', facts };
  }
  const missing = REQUIRED_CONTROLLERS.filter((c) => !usableControllers(layout).includes(c));
  if (missing.length) {
    return {
      ok: false,
      detail: `${describeLayout(layout)}: missing ${missing.join(', ')}, which pod limits need`,
      fix: `enable the controller${missing.length > 1 ? 's' : ''} on the kernel command line (${missing.map((c) => `cgroup_enable=${c}`).join(' ')})`,
      facts,
    };
  }
  return { ok: true, detail: describeLayout(layout), facts };
}

export function cgroupsCheck(mountinfoPath = '/proc/self/mountinfo'): Promise<CheckResult> {
  return timed('cgroups', 'containers', true, async () => {
    const layout = cgroupLayout(parseCgroupMounts(readFileSync(mountinfoPath, 'utf8')), readV2Controllers);
    return cgroupsCheckFrom(layout);
  });
}
