// A leak checker for pod tests: after a test, nothing a pod runtime made may remain. It looks at the real
// system, scoped to one PODSMITH_HOME and the pod uids the runtime announced (other tests and people may run
// pods on the same machine at the same time):
//   - OCI containers in this home's runtime state (runc/crun/youki --root <home>/runtime/<name>)
//   - conmon processes started for this home (its paths are on their command line)
//   - cgroups /podsmith/<uid> in any hierarchy, and processes still in them (catatonit included)
//   - mounts at or below the home (rootfs overlays, tmpfs volumes, private subPath mounts)
//   - pod directories (bundles, volumes, logs) and name links
//   - network check helpers (nsenter'd Node agents) started by this process, and /run/netns entries
//   - microVM pods: QEMU and passt processes for this home (their sockets and files are on their command
//     lines), and unix sockets bound below the home
//
//   const leaks = new LeakTracker(home); leaks.track(runtime);
//   ...
//   assert.deepEqual(await leaks.check(), []);
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import type { PodRuntime } from '../../engine/pods/runtime';
import { AGENT_MARKER } from '../../engine/pods/native';
import { POD_ROOT_DIRS } from '../../engine/pods/native/paths';
import { cgroupDir, cgroupMounts } from '../../engine/runtime/cgroups';

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
      const r = spawnSync(name, ['--root', root, 'list', '--format', 'json'], { encoding: 'utf8' });
      if (r.status !== 0) continue;
      for (const s of (JSON.parse(r.stdout.trim() || '[]') ?? []) as { id: string; status: string }[]) leaks.push(`${name} container ${s.id} (${s.status})`);
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

/** What any pod runtime may leave inside a home: mounts at or below it, pod directories, pod name links. */
export function homeLeaks(home: string): string[] {
  const leaks: string[] = [];
  for (const line of read('/proc/self/mountinfo').split('\n')) {
    const point = line.split(' ')[4];
    if (point && (point === home || point.startsWith(home + '/'))) leaks.push(`mount ${point}`);
  }
  for (const root of POD_ROOT_DIRS) for (const uid of readdirSafe(join(home, root))) leaks.push(`pod directory ${root}/${uid}`);
  for (const name of readdirSafe(join(home, 'pod-names'))) leaks.push(`pod name link ${name} -> ${readlinkSafe(join(home, 'pod-names', name))}`);
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
