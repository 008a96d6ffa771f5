// One container instance in the guest: an overlay root filesystem (the image's rootfs from the read-only pod
// share below, a fresh upper layer in guest memory above), the config the host built with its root and cgroup
// set for this instance, and `runc run` as a child of the agent. runc stays the container's parent, so the
// exit status is runc's; stdout and stderr are pipes the agent writes into the CRI log on the out share (the
// host's `logs` reads the same files as for native containers), and the exit is reported only after both
// pipes reached their end, so no output is lost. An OOM kill is told by the container cgroup's oom_kill count.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { instanceLogPath, LogRotator, DEFAULT_ROTATION, type RotationPolicy } from '../../../logs';
import { uidPrefix } from '../../native/paths';
import { CriLogWriter } from '../../wasm/log-writer';
import { GUEST_INSTANCES, GUEST_OUT_SHARE, GUEST_POD_CGROUP, GUEST_POD_SHARE, GUEST_RUNC_ROOT, LOGS_DIR } from '../protocol/guest-paths';
import type { GuestContainerPlan } from '../protocol/messages';
import { mountMemorySubPaths } from './subpaths';
import { mountAt } from './syscalls';
import { busybox, OCI_NAME, OCI_PATH } from './tools';

export interface InstanceExit {
  exitCode: number;
  signal?: number;
  reason: string;
  message?: string;
  finishedAt: string;
}

const SIGNALS: Record<number, string> = { 1: 'SIGHUP', 2: 'SIGINT', 9: 'SIGKILL', 15: 'SIGTERM' };

function oomKills(name: string): number {
  try {
    const text = readFileSync(`/sys/fs/cgroup/${GUEST_POD_CGROUP}/${name}/memory.events`, 'utf8');
    return Number(/oom_kill (\d+)/.exec(text)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

async function runcError(logFile: string): Promise<string | undefined> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  let last: string | undefined;
  for (const line of text.split('\n')) {
    try {
      const m = JSON.parse(line) as { level?: string; msg?: string };
      if ((m.level === 'error' || m.level === 'fatal') && m.msg) last = m.msg;
    } catch {
      // Not a JSON line.
    }
  }
  return last;
}

export class ContainerInstance {
  readonly id: string;
  readonly dir: string;
  readonly exited: Promise<InstanceExit>;
  startedAt: string | undefined;
  private child: ChildProcess | undefined;
  private settle!: (e: InstanceExit) => void;
  private rotator: LogRotator | undefined;

  constructor(
    readonly plan: GuestContainerPlan,
    readonly restartCount: number,
    podUid: string,
    private readonly rotation: RotationPolicy = DEFAULT_ROTATION,
  ) {
    this.id = `${uidPrefix(podUid)}-${plan.name}-${restartCount}`;
    this.dir = join(GUEST_INSTANCES, plan.name, String(restartCount));
    this.exited = new Promise((r) => (this.settle = r));
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * Makes the root filesystem, the subPath mounts and the bundle; nothing runs yet. `pidNamespace`: the
   * pod's shared one (shareProcessNamespace), joined instead of a namespace of the container's own.
   */
  async prepare(o: { pidNamespace?: string } = {}): Promise<void> {
    const rootfs = join(this.dir, 'rootfs');
    await Promise.all(['upper', 'work', 'rootfs'].map((d) => mkdir(join(this.dir, d), { recursive: true, mode: 0o755 })));
    const lower = join(GUEST_POD_SHARE, this.plan.rootfs);
    await mountAt('overlay', rootfs, 'overlay', `lowerdir=${lower},upperdir=${join(this.dir, 'upper')},workdir=${join(this.dir, 'work')}`);
    const config = JSON.parse(await readFile(join(GUEST_POD_SHARE, this.plan.bundle, 'config.json'), 'utf8')) as {
      root?: { path: string; readonly?: boolean };
      linux?: { cgroupsPath?: string; namespaces?: { type: string; path?: string }[] };
    };
    config.root = { ...(config.root ?? {}), path: rootfs };
    config.linux = { ...(config.linux ?? {}), cgroupsPath: `/${GUEST_POD_CGROUP}/${this.plan.name}/${this.restartCount}` };
    if (o.pidNamespace) config.linux.namespaces = [...(config.linux.namespaces ?? []).filter((n) => n.type !== 'pid'), { type: 'pid', path: o.pidNamespace }];
    if (this.plan.memorySubPaths?.length) mountMemorySubPaths(this.plan.name, this.plan.memorySubPaths);
    await writeFile(join(this.dir, 'config.json'), JSON.stringify(config));
  }

  /** Starts `runc run`; resolves once runc has created the container (its pid file exists) or has ended. */
  async start(terminal: boolean): Promise<void> {
    const logPath = instanceLogPath(join(GUEST_OUT_SHARE, LOGS_DIR, this.plan.name), this.restartCount);
    const log = new CriLogWriter(logPath);
    this.rotator = new LogRotator(logPath, () => (log.open ? { request: () => log.reopen(), close: () => undefined } : undefined), this.rotation);
    void this.rotator.start();
    const oomBefore = oomKills(this.plan.name);
    const runcLog = join(this.dir, 'runc.log');
    const args = ['--root', GUEST_RUNC_ROOT, `--log=${runcLog}`, '--log-format=json', 'run', '--bundle', this.dir, '--pid-file', join(this.dir, 'pid'), this.id];
    let streamsOpen = 0;
    let exitStatus: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    const finish = async () => {
      if (streamsOpen > 0 || !exitStatus) return;
      const { code, signal } = exitStatus;
      log.close();
      await this.rotator?.stop();
      const finishedAt = new Date().toISOString();
      const created = existsSync(join(this.dir, 'pid'));
      const failure = code !== 0 ? await runcError(runcLog) : undefined;
      if (!created || (failure && code === 255)) {
        this.settle({ exitCode: 128, reason: 'StartError', message: failure ?? `${OCI_NAME} exited with ${code ?? signal}`, finishedAt });
        return;
      }
      const exitCode = code ?? 128 + (signal === 'SIGKILL' ? 9 : 15);
      const oom = oomKills(this.plan.name) > oomBefore;
      const sig = exitCode > 128 && exitCode < 160 ? exitCode - 128 : undefined;
      this.settle({
        exitCode,
        ...(sig ? { signal: sig } : {}),
        reason: oom ? 'OOMKilled' : exitCode === 0 ? 'Completed' : 'Error',
        ...(oom ? { message: 'the container exceeded its memory limit inside the VM' } : sig && SIGNALS[sig] ? { message: `killed by ${SIGNALS[sig]}` } : {}),
        finishedAt,
      });
    };
    if (terminal) {
      const native = await import('../../../../native');
      const { child, terminal: pty } = native.spawnInPty(OCI_PATH, args, { raw: true, size: { cols: 80, rows: 24 } });
      this.child = child;
      streamsOpen = 1;
      pty.on('data', (b: Buffer) => log.write('stdout', b));
      pty.on('close', () => {
        streamsOpen--;
        void finish();
      });
      pty.on('error', () => undefined);
    } else {
      const child = spawn(OCI_PATH, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      this.child = child;
      streamsOpen = 2;
      for (const [stream, name] of [[child.stdout!, 'stdout'], [child.stderr!, 'stderr']] as const) {
        stream.on('data', (b: Buffer) => log.write(name, b));
        stream.on('close', () => {
          streamsOpen--;
          void finish();
        });
      }
    }
    this.child.on('error', (err) => {
      exitStatus ??= { code: 255, signal: null };
      void writeFile(runcLog, JSON.stringify({ level: 'error', msg: `cannot run ${OCI_NAME}: ${err.message}` }) + '\n').then(finish);
    });
    this.child.on('exit', (code, signal) => {
      exitStatus = { code, signal };
      void finish();
    });
    // Running once runc wrote the pid file (created), or over if it ended first.
    const pidFile = join(this.dir, 'pid');
    for (let delay = 2; !existsSync(pidFile) && !exitStatus; delay = Math.min(delay * 2, 50)) await new Promise((r) => setTimeout(r, delay));
    this.startedAt = new Date().toISOString();
  }

  /** The container's init pid (from runc's pid file). */
  async pid(): Promise<number | undefined> {
    const n = Number((await readFile(join(this.dir, 'pid'), 'utf8').catch(() => '')).trim());
    return n > 0 ? n : undefined;
  }

  /** Sends a signal to the container's init (`runc kill`); SIGKILL goes to every process in it. */
  async kill(signal: string): Promise<void> {
    if (!this.running) return;
    const all = signal === 'SIGKILL' || signal === 'KILL' || signal === '9';
    await new Promise<void>((resolve) => {
      const c = spawn(OCI_PATH, ['--root', GUEST_RUNC_ROOT, 'kill', ...(all ? ['--all'] : []), this.id, signal], { stdio: 'ignore' });
      c.on('error', () => resolve());
      c.on('close', () => resolve());
    });
  }

  /** Unmounts and removes the instance's files (after its exit). */
  async cleanup(): Promise<void> {
    await busybox(['umount', '-l', join(this.dir, 'rootfs')]).catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true }).catch(() => undefined);
  }
}
