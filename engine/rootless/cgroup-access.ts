// Whether a rootless engine may put pods in cgroups, and where. Root writes anywhere. A user may only where
// cgroup v2 delegates a subtree to them (systemd's Delegate=yes gives user@UID.service one): a cgroup the
// user owns, whose cgroup.subtree_control they may write, that holds no process itself (cgroup v2 lets only
// leaves hold processes once controllers are enabled below). Pods then go under `<that cgroup>/podsmith`,
// with their limits enforced as for root. Anywhere else (cgroup v1 or hybrid, as on these machines, or no
// delegation) pods run without cgroups: runc is given no cgroupsPath and no limits (bundle.ts), and every
// pod says which of its limits are not enforced (limits-notice.ts).
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cgroupMode, cgroupMounts, type CgroupMount } from '../runtime/cgroups';
import { identity } from './identity';

export type CgroupAccess =
  | { mode: 'root' }
  | { mode: 'delegated'; /** cgroup path under which pods go (`<delegated>/podsmith`). */ base: string; delegated: string; controllers: string[] }
  | { mode: 'none'; why: string };

export interface DelegationInputs {
  /** The cgroup2 mount. */
  mount: Pick<CgroupMount, 'path' | 'root'>;
  /** This process's cgroup v2 path (`0::/...` in /proc/self/cgroup). */
  own: string;
  uid: number;
  read?: (file: string) => string;
  ownerOf?: (path: string) => number | undefined;
}

const WANTED = ['memory', 'pids', 'cpu'];

/** The highest cgroup from `own` upwards that is delegated to `uid` and holds no process; see the top comment. */
export function findDelegation(i: DelegationInputs): CgroupAccess {
  const read = i.read ?? ((f: string) => readFileSync(f, 'utf8'));
  const ownerOf =
    i.ownerOf ??
    ((p: string) => {
      try {
        return statSync(p).uid;
      } catch {
        return undefined;
      }
    });
  const root = i.mount.root === '/' ? '' : i.mount.root;
  if (root && !i.own.startsWith(root)) return { mode: 'none', why: `this process's cgroup ${i.own} is outside the cgroup2 mount` };
  const dirOf = (cg: string) => join(i.mount.path, cg.slice(root.length));
  let best: { path: string; controllers: string[] } | undefined;
  let blocked: string | undefined;
  for (let cg = i.own; cg !== '/' && cg !== ''; cg = cg.slice(0, cg.lastIndexOf('/')) || '/') {
    const dir = dirOf(cg);
    if (ownerOf(dir) !== i.uid || ownerOf(join(dir, 'cgroup.subtree_control')) !== i.uid || ownerOf(join(dir, 'cgroup.procs')) !== i.uid) break;
    let controllers: string[];
    let procs: string;
    try {
      controllers = read(join(dir, 'cgroup.controllers')).trim().split(/\s+/).filter(Boolean);
      procs = read(join(dir, 'cgroup.procs')).trim();
    } catch {
      break;
    }
    if (procs) blocked = cg;
    else best = { path: cg, controllers };
  }
  if (!best) {
    return {
      mode: 'none',
      why: blocked
        ? `the cgroup delegated to you (${blocked}) holds processes itself; start Podsmith in a child cgroup of it so pods can be placed beside`
        : `no cgroup v2 subtree is delegated to uid ${i.uid} (systemd gives one to user@${i.uid}.service with Delegate=yes)`,
    };
  }
  const missing = WANTED.filter((c) => !best!.controllers.includes(c));
  if (missing.length === WANTED.length) return { mode: 'none', why: `the cgroup delegated to you (${best.path}) has none of the memory, pids and cpu controllers` };
  return { mode: 'delegated', base: `${best.path === '/' ? '' : best.path}/podsmith`, delegated: best.path, controllers: best.controllers };
}

let cached: CgroupAccess | undefined;

export function cgroupAccess(): CgroupAccess {
  if (cached) return cached;
  const id = identity();
  if (id.hostRoot) return (cached = { mode: 'root' });
  const mode = cgroupMode();
  if (mode !== 'v2') {
    cached = { mode: 'none', why: mode === 'none' ? 'no cgroup file system is mounted' : `cgroups are ${mode === 'hybrid' ? 'hybrid (v1 controllers with a cgroup2 mount)' : 'v1'} here, and only cgroup v2 can be delegated to a user` };
    return cached;
  }
  const mount = cgroupMounts().find((m) => m.version === 2)!;
  let own = '/';
  try {
    own = /^0::(.*)$/m.exec(readFileSync('/proc/self/cgroup', 'utf8'))?.[1] ?? '/';
  } catch {
    // no /proc: nothing delegated that we can find
  }
  cached = findDelegation({ mount, own, uid: process.getuid?.() ?? 0 });
  return cached;
}

/** Pods may have cgroups of their own (root, or a delegated subtree). */
export function cgroupsWritable(): boolean {
  return cgroupAccess().mode !== 'none';
}

/** The cgroup path pods go under: `/podsmith` for root, `<delegated>/podsmith` for a user with delegation. */
export function podCgroupBase(): string {
  const a = cgroupAccess();
  return a.mode === 'delegated' ? a.base : '/podsmith';
}
