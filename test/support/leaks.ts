// A leak checker for pod tests: after a test, nothing a pod runtime made may remain. It looks at the real
// system, scoped to one PODSMITH_HOME and the pod uids the runtime announced (other tests and people may run
// pods on the same machine at the same time):
//   - OCI containers in this home's runtime state (runc/crun/youki --root <home>/runtime/<name>, and any
//     container folder there that `list` did not show)
//   - conmon and pasta processes started for this home (its paths are on their command line)
//   - cgroups /podsmith/<uid> in any hierarchy, and processes still in them (catatonit included)
//   - mounts at or below the home (rootfs overlays, tmpfs volumes, private subPath mounts, wasm sandbox slots)
//   - pod directories (bundles, volumes, logs) and name links
//   - wasm pod sandboxes (engine/pods/wasm/sandbox.ts): their directories, runc containers, cgroups and the
//     processes in them; the idle spare of a runtime still running is part of that runtime, not a leak
//   - network check helpers (nsenter'd Node agents) started by this process, and /run/netns entries
//   - microVM pods: QEMU and passt processes for this home (their sockets and files are on their command
//     lines), and unix sockets bound below the home
//
//   const leaks = new LeakTracker(home); leaks.track(runtime);
//   ...
//   assert.deepEqual(await leaks.check(), []);
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import type { PodRuntime } from '../../engine/pods/runtime';
import { AGENT_MARKER } from '../../engine/pods/native';
import { POD_ROOT_DIRS } from '../../engine/pods/native/paths';
import { cgroupDir, cgroupMounts } from '../../engine/runtime/cgroups';
import { homeTag, listSandboxIds, SANDBOX_CGROUP_ROOT, sandboxDir } from '../../engine/pods/wasm/sandbox';
import { isAlive } from '../../engine/runtime/processes';

function pids(): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number);
}

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function cmdline(pid: number): string[] {
  return read(`/proc/${pid}/cmdline`).split('\0').filter(Boolean);
}

function isZombie(pid: number): boolean {
  const stat = read(`/proc/${pid}/stat`);
  return / [ZX] /.test(stat.slice(stat.lastIndexOf(')')));
}

function rootIn(pid: number, home: string): boolean {
  try {
    return readlinkSync(`/proc/${pid}/root`).startsWith(home + '/');
  } catch {
    return false; // gone, or another user's
  }
}

function ppid(pid: number): number {
  const stat = read(`/proc/${pid}/stat`);
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

export class LeakTracker {
  /** Pod uids seen in the runtimes' events (failed runs included: run_pod announces the uid first). */
  readonly uids = new Set<string>();
  private readonly unsubscribe: (() => void)[] = [];

  constructor(readonly home: string) {}

  track(runtime: PodRuntime): void {
    this.unsubscribe.push(
      runtime.watch((e) => {
        if (e.type !== 'pull') this.uids.add(e.uid);
      }),
    );
  }

  dispose(): void {
    for (const u of this.unsubscribe.splice(0)) u();
  }

  /** Human-readable leaks; empty when clean. */
  async check(): Promise<string[]> {
    const leaks: string[] = [];
    const home = this.home;

    for (const name of ['runc', 'crun', 'youki']) {
      const root = join(home, 'runtime', name);
      // runc 1.1's list fails as a whole when a container folder vanishes mid-read (another home's pod being
      // deleted meanwhile): try again rather than miss a leak; and the folder itself names every container.
      let r = spawnSync(name, ['--root', root, 'list', '--format', 'json'], { encoding: 'utf8' });
      for (let attempt = 0; attempt < 5 && r.status !== 0 && !r.error; attempt++) r = spawnSync(name, ['--root', root, 'list', '--format', 'json'], { encoding: 'utf8' });
      const listed = r.status === 0 ? ((JSON.parse(r.stdout.trim() || '[]') ?? []) as { id: string; status: string }[]) : [];
      for (const s of listed) leaks.push(`${name} container ${s.id} (${s.status})`);
      for (const id of readdirSafe(root)) if (!listed.some((s) => s.id === id)) leaks.push(`${name} state folder ${id}`);
    }
    for (const name of readdirSafe(join(home, 'runtime')).filter((n) => n.startsWith('probe-'))) leaks.push(`runtime probe directory ${name}`);

    for (const pid of pids()) {
      if (isZombie(pid)) continue;
      const argv = cmdline(pid);
      const text = argv.join(' ');
      if (argv[0]?.endsWith('conmon') && text.includes(home)) leaks.push(`conmon process ${pid}: ${text.slice(0, 200)}`);
      if (/pasta/.test(argv[0] ?? '') && text.includes(home)) leaks.push(`pasta process ${pid}: ${text.slice(0, 200)}`);
      if (/qemu-system/.test(argv[0] ?? '') && text.includes(home)) leaks.push(`QEMU process ${pid}: ${text.slice(0, 200)}`);
      if (/(^|\/)passt(\.avx2)?$/.test(argv[0] ?? '') && text.includes(home)) leaks.push(`passt process ${pid}: ${text.slice(0, 200)}`);
      if (text.includes(AGENT_MARKER) && ppid(pid) === process.pid) leaks.push(`network check helper ${pid}`);
      // A container's process has its root in the home (its rootfs): found whether or not pods get cgroups
      // (a rootless engine without a delegated cgroup has none to look in).
      if (rootIn(pid, home)) leaks.push(`process ${pid} (${argv[0] ?? '?'}) with its root in ${home}`);
      const cg = read(`/proc/${pid}/cgroup`);
      for (const uid of this.uids) if (cg.includes(`/podsmith/${uid}`)) leaks.push(`process ${pid} (${argv[0] ?? '?'}) in cgroup of pod ${uid}`);
    }

    for (const mount of cgroupMounts()) {
      for (const uid of this.uids) {
        const dir = cgroupDir(mount, `/podsmith/${uid}`);
        if (dir && read(join(dir, 'cgroup.procs')) !== '' ) leaks.push(`cgroup ${dir} with processes`);
        else if (dir && existsDir(dir)) leaks.push(`cgroup ${dir}`);
      }
    }

    // Bound unix sockets in pod directories (QEMU's control socket, passt's), open or not. (The daemon's own
    // socket, in run/, is not a pod's.)
    for (const line of read('/proc/net/unix').split('\n').slice(1)) {
      const path = line.trim().split(/\s+/)[7];
      if (path && POD_ROOT_DIRS.some((root) => path.startsWith(join(home, root) + '/'))) leaks.push(`unix socket ${path}`);
    }
    leaks.push(...homeLeaks(home));
    for (const ns of readdirSafe('/run/netns')) for (const uid of this.uids) if (ns.includes(uid) || ns.includes(uid.replace(/-/g, '').slice(0, 12))) leaks.push(`network namespace /run/netns/${ns}`);
    return leaks;
  }
}

/** Sandboxes of idle wasm spares whose runtime is alive (no pod records them, their owner process lives). */
export function liveIdleSpares(home: string): Set<string> {
  const referenced = new Set<string>();
  for (const uid of readdirSafe(join(home, 'wasm-pods'))) {
    try {
      const id = (JSON.parse(read(join(home, 'wasm-pods', uid, 'pod.json')) || '{}') as { sandbox?: { id: string } }).sandbox?.id;
      if (id) referenced.add(id);
    } catch {
      // Half-written: not a spare's.
    }
  }
  const out = new Set<string>();
  for (const id of listSandboxIds(home)) {
    let owner: { pid: number; startTime?: string } | undefined;
    try {
      owner = (JSON.parse(read(join(sandboxDir(home, id), 'sandbox.json')) || '{}') as { owner?: { pid: number; startTime?: string } }).owner;
    } catch {
      owner = undefined;
    }
    if (!referenced.has(id) && owner && isAlive(owner.pid, owner.startTime)) out.add(id);
  }
  return out;
}

/**
 * What any pod runtime may leave inside a home: mounts at or below it, pod directories, pod name links, and
 * wasm sandboxes (directories, runc containers, cgroups, processes in them). Live idle spares are not leaks
 * unless `strict` (every runtime of the home is closed).
 */
/**
 * The live processes in this home's wasm pod sandboxes (found by their cgroup: a sandbox's environment does
 * not carry PODSMITH_HOME), spares included.
 */
export function sandboxProcesses(home: string): { pid: number; sandbox: string; cgroup: string }[] {
  const tag = homeTag(home);
  const out: { pid: number; sandbox: string; cgroup: string }[] = [];
  for (const pid of pids()) {
    if (isZombie(pid)) continue;
    const cgroup = read(`/proc/${pid}/cgroup`);
    const at = cgroup.indexOf(`/${SANDBOX_CGROUP_ROOT}/${tag}-`);
    if (at < 0) continue;
    out.push({ pid, sandbox: cgroup.slice(at + SANDBOX_CGROUP_ROOT.length + 2).split(/[/\n]/)[0], cgroup });
  }
  return out;
}

export function homeLeaks(home: string, strict = false): string[] {
  const leaks: string[] = [];
  const spares = strict ? new Set<string>() : liveIdleSpares(home);
  const ofSpare = (text: string) => [...spares].some((id) => text.includes(id));
  for (const line of read('/proc/self/mountinfo').split('\n')) {
    const point = line.split(' ')[4];
    if (point && (point === home || point.startsWith(home + '/')) && !ofSpare(point)) leaks.push(`mount ${point}`);
  }
  for (const root of POD_ROOT_DIRS) for (const uid of readdirSafe(join(home, root))) leaks.push(`pod directory ${root}/${uid}`);
  // pod-names/<namespace>/<name> links (the namespace folders themselves stay), and links of the old flat layout.
  const names = join(home, 'pod-names');
  for (const entry of readdirSafe(names)) {
    const path = join(names, entry);
    if (existsDir(path)) for (const name of readdirSafe(path)) leaks.push(`pod name link ${entry}/${name} -> ${readlinkSafe(join(path, name))}`);
    else leaks.push(`pod name link ${entry} -> ${readlinkSafe(path)}`);
  }
  const tag = homeTag(home);
  for (const { pid, sandbox, cgroup } of sandboxProcesses(home)) {
    if (ofSpare(cgroup)) continue;
    leaks.push(`process ${pid} in wasm sandbox ${sandbox}: ${cmdline(pid).join(' ').slice(0, 200)}`);
  }
  for (const id of listSandboxIds(home)) if (!spares.has(id)) leaks.push(`wasm sandbox directory wasm-sandbox/${id}`);
  if (existsSync(join(home, 'wasm-sandbox', 'runc'))) {
    const r = spawnSync('runc', ['--root', join(home, 'wasm-sandbox', 'runc'), 'list', '--format', 'json'], { encoding: 'utf8' });
    if (r.status === 0) for (const c of (JSON.parse(r.stdout.trim() || '[]') ?? []) as { id: string; status: string }[]) if (!spares.has(c.id)) leaks.push(`runc container ${c.id} of a wasm sandbox (${c.status})`);
  }
  for (const mount of cgroupMounts()) {
    const dir = cgroupDir(mount, `/${SANDBOX_CGROUP_ROOT}`);
    for (const id of dir ? readdirSafe(dir) : []) if (id.startsWith(`${tag}-`) && !spares.has(id)) leaks.push(`cgroup ${join(dir!, id)}`);
  }
  return leaks;
}

function existsDir(path: string): boolean {
  try {
    readdirSync(path);
    return true;
  } catch {
    return false;
  }
}

function readdirSafe(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

function readlinkSafe(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return '?';
  }
}
