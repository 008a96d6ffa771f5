// A wasm pod's sandbox: its supervisor runs as an OCI container of its own under runc (the spec is
// sandbox-spec.ts: an unprivileged user namespace, no capabilities, its own mount, pid, ipc, uts, cgroup and
// network namespaces, a root holding only Node and the supervisor's code). node:wasi is not a file-system
// boundary (a symlink in an image or on a writable volume leads its kernel-resolved paths anywhere), so the
// boundary is the sandbox: a module that leaves its preopens finds the sandbox's root, not the host's.
//
// A sandbox starts before its pod is known (the warm spare, spare.ts): `runc run --detach` passes its stdio
// through, so the supervisor's stdin is one end of a socket pair this process holds the other end of (the
// assignment, and end-of-file if this process dies; not a Node 'pipe', which Node closes once runc exits),
// and its stdout/stderr go to the sandbox's log. The pod arrives through the slot:
// `<home>/wasm-sandbox/<id>/slot` is a shared mount on the host, bound `rslave` at /s in the sandbox, and
// attach() mounts the pod directory (read-only), its `sandbox/` directory (the one the supervisor writes) and
// every preopen (read-only ones read-only, enforced by the kernel) into it; mount propagation makes them
// appear inside. The binds are made with their attributes while detached (native/mount.ts): a read-only bind
// is never visible writable. Files the supervisor writes or reads as the sandbox's id are given to it first
// (its state directory, emptyDir, configMap and secret volumes, unpacked images); hostPath volumes are not.
//
// The sandbox outlives this process: its container's init (the supervisor) is reparented once runc exits.
// removeSandbox() ends it and removes everything it has on the host (runc's state and cgroups, the slot's
// mounts, its directory); sweepSandboxes() does it for sandboxes nobody owns any more (a daemon that died
// between starting one and recording it).
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { chmod, lchown, lstat, mkdir, readdir, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { FdHandle } from '../../../native/fd-handle';
import { bindMount, detachMount, makeSharedMount } from '../../../native/mount';
import { unixSocketPair } from '../../../native/unix-socket';
import { findExecutable, isAlive, OciRuntime, procStat, removeCgroupTree, signalProcess, waitGone } from '../../runtime';
import { RuntimeError } from '../../runtime/errors';
import { preopenSlotPath, sandboxesDir, type WasmPodPaths } from './paths';
import type { SupervisorRef, WasmPodRecord } from './records';
import { ensureSkeleton, sandboxBinds } from './sandbox-root';
import { sandboxSpec } from './sandbox-spec';
import type { SupervisorCommand } from './supervisor-command';
import { trace } from './trace';
import { adaptBundleForRootless } from '../../rootless/bundle';
import { sandboxIdSpan, type IdSpan } from '../../rootless/wasm-sandbox';

/** What pod.json records of its sandbox. */
export interface SandboxRecord {
  id: string;
  /** The host uid and gid the sandbox's root is mapped to. */
  hostId: number;
}

/** `<sandbox dir>/sandbox.json`: who started it (an unassigned sandbox whose owner is gone is swept). */
interface SandboxInfo extends SandboxRecord {
  owner: SupervisorRef;
  supervisor?: SupervisorRef;
}

// Host ids come from the range systemd sets aside for containers (524288-1879048191), drawn at random so two
// homes on one host rarely share one, and never twice among the sandboxes of one home; a rootless engine's
// from its user namespace (sandboxIdSpan).
const START_TIMEOUT_MS = 30_000;
export const SANDBOX_CGROUP_ROOT = 'podsmith-wasm';
const ENV_PASSED = ['PODSMITH_WASM_TRACE'];

/** A short tag of the home: sandbox ids (and so their cgroups) start with it, so leak checks find them. */
export function homeTag(home: string): string {
  return createHash('sha256').update(resolve(home)).digest('hex').slice(0, 8);
}

export function sandboxCgroupPath(id: string): string {
  return `/${SANDBOX_CGROUP_ROOT}/${id}`;
}

export function sandboxDir(home: string, id: string): string {
  return join(sandboxesDir(home), id);
}

function runcRoot(home: string): string {
  return join(sandboxesDir(home), 'runc');
}

let runcPath: string | undefined;
function runc(home: string): OciRuntime {
  runcPath ??= findExecutable('runc');
  if (!runcPath) throw new RuntimeError('runc is not installed (apt-get install runc): every wasm pod runs in a sandbox made with it', 'NOT_INSTALLED');
  return new OciRuntime({ name: 'runc', path: runcPath, version: '' }, runcRoot(home));
}

function runcOrNone(home: string): OciRuntime | undefined {
  try {
    return runc(home);
  } catch (err) {
    if (err instanceof RuntimeError && err.code === 'NOT_INSTALLED') return undefined;
    throw err;
  }
}

/** Ids of the sandboxes of `home` (their directories). */
export function listSandboxIds(home: string): string[] {
  const tag = homeTag(home);
  try {
    return readdirSync(sandboxesDir(home)).filter((n) => n.startsWith(`${tag}-`));
  } catch {
    return [];
  }
}

function readInfo(home: string, id: string): SandboxInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(join(sandboxDir(home, id), 'sandbox.json'), 'utf8')) as SandboxInfo;
    return info && typeof info.hostId === 'number' ? info : undefined;
  } catch {
    return undefined;
  }
}

function writeInfo(dir: string, info: SandboxInfo): void {
  const file = join(dir, 'sandbox.json');
  writeFileSync(`${file}.tmp`, JSON.stringify(info) + '\n', { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

function pickHostId(home: string, span: IdSpan): number {
  const used = new Set(listSandboxIds(home).map((id) => readInfo(home, id)?.hostId));
  for (;;) {
    const id = span.base + randomInt(span.span);
    if (!used.has(id)) return id;
  }
}

/** Gives `path` and everything below it to `id` (symlinks themselves, never what they point at). */
async function chownTree(path: string, id: number): Promise<void> {
  const st = await lstat(path).catch(() => undefined);
  if (!st) return;
  await lchown(path, id, id);
  if (!st.isDirectory()) return;
  for (const name of await readdir(path)) await chownTree(join(path, name), id);
}

export class Sandbox {
  readonly dir: string;
  readonly log: string;
  /** The supervisor's process on the host once runc started it; rejects with runc's reason. */
  readonly ready: Promise<SupervisorRef>;
  /** Set once ready. */
  pid: number | undefined;
  private readonly child: ChildProcess;
  /** Our end of the supervisor's stdin. */
  private control: FdHandle | undefined;
  private warmed = false;

  private constructor(
    readonly home: string,
    readonly id: string,
    readonly hostId: number,
    command: SupervisorCommand,
  ) {
    this.dir = sandboxDir(home, id);
    this.log = join(this.dir, 'supervisor.log');
    const slot = join(this.dir, 'slot');
    mkdirSync(sandboxesDir(home), { recursive: true, mode: 0o700 });
    mkdirSync(this.dir, { mode: 0o700 });
    writeInfo(this.dir, { id, hostId, owner: { pid: process.pid, ...(procStat(process.pid) ? { startTime: procStat(process.pid)!.startTime } : {}) } });
    mkdirSync(slot, { mode: 0o755 });
    makeSharedMount(slot);
    const binds = sandboxBinds(command.command, command.binds);
    const spec = sandboxSpec({
      root: ensureSkeleton(binds),
      binds,
      slot,
      hostId,
      args: [command.command, ...command.args],
      cwd: command.cwd,
      env: ['PATH=/usr/bin:/bin', 'HOME=/tmp', 'TMPDIR=/tmp', ...ENV_PASSED.filter((k) => process.env[k] !== undefined).map((k) => `${k}=${process.env[k]}`)],
      cgroupsPath: sandboxCgroupPath(id),
      nofileHard: nofileHard(),
    });
    writeFileSync(join(this.dir, 'config.json'), JSON.stringify(adaptBundleForRootless(spec)), { mode: 0o600 });
    const out = openSync(this.log, 'a', 0o600);
    const [ours, theirs] = unixSocketPair();
    try {
      const r = runc(home);
      // Its own session: a Ctrl-C to the daemon's terminal must not reach the pod.
      this.child = spawn(r.info.path, [...r.globalArgs(), 'run', '--detach', '--pid-file', join(this.dir, 'pid'), '--bundle', this.dir, id], {
        detached: true,
        stdio: [theirs.fd, out, out],
      });
    } catch (err) {
      ours.close();
      throw err;
    } finally {
      closeSync(out);
      theirs.close();
    }
    this.control = ours;
    this.ready = new Promise<SupervisorRef>((resolveReady, reject) => {
      const timer = setTimeout(() => this.child.kill('SIGKILL'), START_TIMEOUT_MS);
      this.child.once('error', (err) => {
        clearTimeout(timer);
        reject(new RuntimeError(`cannot start runc for the wasm sandbox: ${err.message}`, 'FAILED'));
      });
      this.child.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (code !== 0) return reject(new RuntimeError(`runc could not start the wasm sandbox ${id}: ${this.runcMessage() || (signal ? `killed by ${signal}` : `exit code ${code}`)}`, 'FAILED'));
        try {
          const pid = Number(readFileSync(join(this.dir, 'pid'), 'utf8').trim());
          const st = procStat(pid);
          const ref: SupervisorRef = { pid, ...(st ? { startTime: st.startTime } : {}) };
          this.pid = pid;
          writeInfo(this.dir, { ...readInfo(home, id)!, supervisor: ref });
          trace(`sandbox ${id} up`);
          resolveReady(ref);
        } catch (err) {
          reject(err);
        }
      });
    });
    this.ready.catch(() => undefined);
  }

  /** Starts a sandbox running `command` (the supervisor waiting for its pod). */
  static start(home: string, command: SupervisorCommand): Sandbox {
    // Root, or root of a rootless user's namespace with ids to spare (engine/rootless/wasm-sandbox.ts).
    const span = sandboxIdSpan();
    if ('unavailable' in span) throw new RuntimeError(`pod-wasm cannot run here: each pod's supervisor runs in a sandbox with a user namespace mapped to an id of its own, and ${span.unavailable}`, 'FAILED');
    const id = `${homeTag(home)}-${randomBytes(6).toString('hex')}`;
    try {
      return new Sandbox(home, id, pickHostId(home, span), command);
    } catch (err) {
      // Half made (no runc, no mount API, a skeleton that cannot be written): nothing of it may stay.
      const dir = sandboxDir(home, id);
      try {
        detachMount(join(dir, 'slot'));
      } catch {
        // Not mounted yet.
      }
      if (!isMountPoint(join(dir, 'slot'))) rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  get record(): SandboxRecord {
    return { id: this.id, hostId: this.hostId };
  }

  /**
   * Whether the supervisor said it is warm (Node started, threads booted, code paths run: it writes a line
   * back on its stdin, a socket). Asked without waiting: one non-blocking read.
   */
  isWarm(): boolean {
    if (this.warmed || !this.control || this.control.closed) return this.warmed;
    try {
      const buf = Buffer.alloc(64);
      const n = readSync(this.control.fd, buf, 0, buf.length, null);
      if (n > 0 && buf.subarray(0, n).includes(0x0a)) this.warmed = true;
    } catch {
      // EAGAIN: not yet.
    }
    return this.warmed;
  }

  /** Whether the sandbox started and its supervisor still lives (undefined while starting). */
  alive(): boolean | undefined {
    if (this.pid === undefined) return this.child.exitCode === null && this.child.signalCode === null ? undefined : false;
    return isAlive(this.pid);
  }

  private runcMessage(): string {
    try {
      const text = readFileSync(this.log, 'utf8');
      const lines = text.trim().split('\n').filter((l) => /level=(error|fatal)/.test(l));
      const last = lines[lines.length - 1] ?? '';
      return (/msg="((?:[^"\\]|\\.)*)"/.exec(last)?.[1] ?? last).replace(/\\"/g, '"');
    } catch {
      return '';
    }
  }

  /**
   * Gives the pod to the sandbox: ownership for the sandbox's id, then the binds into the slot. Nothing of the
   * pod has run yet, so no module can have raced the ownership changes or planted a link on the way.
   */
  async attach(paths: WasmPodPaths, pod: WasmPodRecord): Promise<void> {
    const id = this.hostId;
    await mkdir(paths.sandbox, { recursive: true, mode: 0o700 });
    await lchown(paths.sandbox, id, id);
    // The pod directory is read by the sandbox's id through the bind; its parent (wasm-pods, 0700) keeps it
    // from everyone else on the host.
    await chmod(paths.dir, 0o755);
    await chmod(paths.modules, 0o755).catch(() => undefined);
    for (const name of await readdir(paths.modules).catch(() => [] as string[])) await chmod(join(paths.modules, name), 0o644);
    for (const name of await readdir(paths.volumes).catch(() => [] as string[])) await chownTree(paths.volume(name), id);
    for (const plan of pod.plans) if (plan.rootfsDir) await chownTree(join(plan.rootfsDir, 'rootfs'), id);

    const slot = join(this.dir, 'slot');
    await mkdir(join(slot, 'pod'));
    bindMount(paths.dir, join(slot, 'pod'), { readOnly: true });
    bindMount(paths.sandbox, join(slot, 'pod', 'sandbox'));
    for (const [ci, plan] of pod.plans.entries()) {
      for (const [pi, p] of plan.preopens.entries()) {
        const source = await realpath(p.hostPath);
        const at = join(slot, preopenSlotPath(ci, pi));
        await mkdir(join(at, '..'), { recursive: true, mode: 0o755 });
        if ((await stat(source)).isDirectory()) await mkdir(at, { mode: 0o755 });
        else await writeFile(at, '', { mode: 0o644 });
        bindMount(source, at, { readOnly: p.readOnly });
      }
    }
    renameSync(this.log, paths.supervisorLog);
    trace(`sandbox ${this.id} attached`);
  }

  /** Tells the supervisor its pod is there (after attach), and lets go of its stdin. */
  go(): void {
    const control = this.control;
    if (!control) throw new Error(`the wasm sandbox ${this.id} was already given a pod or discarded`);
    this.control = undefined;
    try {
      // A few bytes into an empty socket buffer: never short, never EAGAIN.
      writeSync(control.fd, 'go\n');
    } finally {
      control.close();
    }
  }

  /** Ends the sandbox and removes it (a spare nobody took, or a run_pod that failed). */
  async discard(): Promise<void> {
    this.control?.close();
    this.control = undefined;
    const ref = await this.ready.catch(() => undefined);
    await removeSandbox(this.home, this.id, ref);
  }
}

function nofileHard(): number {
  try {
    const limits = readFileSync('/proc/self/limits', 'utf8');
    const m = /^Max open files\s+\S+\s+(\S+)/m.exec(limits);
    const n = m && m[1] !== 'unlimited' ? Number(m[1]) : 1 << 20;
    return Number.isFinite(n) && n > 0 ? n : 1024;
  } catch {
    return 1024;
  }
}

/**
 * Ends sandbox `id` and removes all it has on the host: its process (the recorded one, and whatever runc
 * knows), runc's state and the cgroups, the slot's mounts, its directory. Each step tolerates an earlier
 * attempt having done part of it. Throws when a mount or the process cannot be removed (the directory is
 * kept for the next attempt).
 */
export async function removeSandbox(home: string, id: string, supervisor?: SupervisorRef): Promise<void> {
  const dir = sandboxDir(home, id);
  const info = readInfo(home, id);
  const refs = [supervisor, info?.supervisor].filter((r): r is SupervisorRef => !!r && r.pid > 0);
  for (const r of refs) if (isAlive(r.pid, r.startTime)) signalProcess(r.pid, 'SIGKILL');
  for (const r of refs) if (!(await waitGone(r.pid, 5000, r.startTime))) throw new Error(`the wasm sandbox ${id} (pid ${r.pid}) did not end after SIGKILL`);
  // With its process known and gone, runc's state of the container is a directory and its cgroups: removed
  // here, as `runc delete` would (without a runc process on the critical path of rm). With no process known
  // (a sandbox whose start was never recorded), runc finds and kills it. Without runc (uninstalled since),
  // nothing can run in it any more.
  const r = refs.length > 0 ? undefined : runcOrNone(home);
  if (r) await r.delete(id, true);
  else await rm(join(runcRoot(home), id), { recursive: true, force: true });
  const stuck = await removeCgroupTree(sandboxCgroupPath(id));
  if (stuck.length > 0) throw new Error(`cannot remove the cgroups of the wasm sandbox ${id}: ${stuck.join(', ')}`);
  const slot = join(dir, 'slot');
  if (existsSync(slot)) {
    try {
      detachMount(slot);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // EINVAL: not a mount point (never mounted, or detached by an earlier attempt).
      if (code !== 'EINVAL' && code !== 'ENOENT') throw err;
    }
  }
  if (existsSync(slot) && isMountPoint(slot)) throw new Error(`cannot unmount ${slot}; the sandbox directory was kept`);
  await rm(dir, { recursive: true, force: true });
}

function isMountPoint(path: string): boolean {
  try {
    const text = readFileSync('/proc/self/mountinfo', 'utf8');
    return text.split('\n').some((l) => l.split(' ')[4] === path);
  } catch {
    return false;
  }
}

/**
 * Removes the sandboxes of `home` that no pod records (`referenced`) and whose owner process is gone: spares
 * of a runtime that died, and sandboxes a run_pod started before its daemon was killed. Also deletes runc
 * containers of this home that have no directory any more.
 */
export async function sweepSandboxes(home: string, referenced: ReadonlySet<string>): Promise<void> {
  for (const id of listSandboxIds(home)) {
    if (referenced.has(id)) continue;
    const info = readInfo(home, id);
    if (info?.owner && isAlive(info.owner.pid, info.owner.startTime)) continue;
    await removeSandbox(home, id).catch(() => undefined);
  }
  const r = existsSync(runcRoot(home)) ? runcOrNone(home) : undefined;
  if (!r) return;
  for (const s of await r.list().catch(() => [])) {
    if (!existsSync(sandboxDir(home, s.id))) await r.delete(s.id, true).catch(() => undefined);
  }
}

