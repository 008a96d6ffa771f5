// TEST ONLY: a PodRuntime whose "containers" are plain host processes (`/bin/busybox <command...>`), so the
// daemon, protocol and CLI can be tested with real processes, real exit codes and real output before (and
// apart from) the pod-containers runtime. No isolation, no images: never use it outside test/.
//
// Each container runs detached in its own process group with stdout/stderr appended to a file, so it outlives
// a daemon restart like a real pod. State lives in $PODSMITH_HOME/test-runtime/state.json; reconcile() re-reads
// it and checks which pids still live, and counts its calls in reconcile-count for the tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, watch, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { connect } from 'node:net';
import { PassThrough, Readable, type Duplex } from 'node:stream';
import { parseAllDocuments } from 'yaml';
import { lintText } from '../../../engine/manifest';
import type { ExecRequest, ExecSession, LogsRequest, PodRuntime } from '../../../engine/pods/runtime';
import {
  PodError,
  type ContainerStatus,
  type DeletePodRequest,
  type PodEvent,
  type PodPhase,
  type PodStatus,
  type RunPodRequest,
  type StopPodRequest,
} from '../../../engine/pods/types';

interface CState {
  name: string;
  image: string;
  pid: number;
  startedAt: string;
  log: string;
  exit?: { code: number; finishedAt: string };
}
interface PState {
  uid: string;
  name: string;
  startTime: string;
  containers: CState[];
}

const BUSYBOX = '/bin/busybox';

export class ProcessRuntime implements PodRuntime {
  private readonly dir: string;
  private pods: PState[] = [];
  private readonly listeners = new Set<(e: PodEvent) => void>();
  private readonly children = new Map<number, ChildProcess>();

  constructor(private readonly home: string) {
    this.dir = join(home, 'test-runtime');
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  async reconcile(): Promise<void> {
    const file = join(this.dir, 'reconcile-count');
    const n = existsSync(file) ? Number(readFileSync(file, 'utf8')) : 0;
    writeFileSync(file, String(n + 1));
    this.pods = existsSync(this.stateFile) ? (JSON.parse(readFileSync(this.stateFile, 'utf8')) as PState[]) : [];
    for (const p of this.pods) {
      for (const c of p.containers) {
        if (!c.exit && !alive(c.pid)) c.exit = { code: 255, finishedAt: new Date().toISOString() };
      }
    }
    this.save();
  }

  watch(listener: (e: PodEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async runPod(req: RunPodRequest, onEvent?: (e: PodEvent) => void): Promise<PodStatus> {
    const errors = lintText(req.manifest, { fileName: req.fileName }).findings.filter((f) => f.severity === 'error');
    if (errors.length) throw new PodError(`${req.fileName ?? 'manifest'} has ${errors.length} error(s)`, 'INVALID', { findings: errors });
    const pod = parseAllDocuments(req.manifest)
      .map((d) => d.toJS() as { kind?: string; metadata?: { name?: string }; spec?: { containers?: { name: string; image: string; command?: string[]; args?: string[] }[] } })
      .find((d) => d?.kind === 'Pod' && (!req.podName || d.metadata?.name === req.podName));
    if (!pod?.metadata?.name || !pod.spec?.containers) throw new PodError('no Pod in the manifest', 'INVALID');
    const name = pod.metadata.name;
    if (this.pods.some((p) => p.name === name)) throw new PodError(`pod ${name} already exists`, 'ALREADY_EXISTS');
    const uid = `uid-${name}-${Date.now().toString(36)}`;
    const emit = (e: PodEvent): void => {
      onEvent?.(e);
      for (const l of this.listeners) l(e);
    };
    const now = (): string => new Date().toISOString();
    for (const c of pod.spec.containers) {
      if (c.image.startsWith('missing')) throw new PodError(`container ${c.name}: image ${c.image} not found`, 'IMAGE', { container: c.name });
      // Pull progress shaped like a real pull, so the CLI's progress output is exercised.
      const digest = 'sha256:' + Buffer.from(c.image).toString('hex').padEnd(64, '0').slice(0, 64);
      emit({ type: 'pull', time: now(), pod: name, image: c.image, progress: { type: 'resolve', reference: c.image, digest } });
      emit({ type: 'pull', time: now(), pod: name, image: c.image, progress: { type: 'blob-start', digest, size: 1000, mediaType: 'layer' } });
      emit({ type: 'pull', time: now(), pod: name, image: c.image, progress: { type: 'blob-progress', digest, bytes: 500, size: 1000 } });
      emit({ type: 'pull', time: now(), pod: name, image: c.image, progress: { type: 'blob-done', digest, cached: false } });
      emit({ type: 'pull', time: now(), pod: name, image: c.image, progress: { type: 'done', reference: c.image, digest } });
    }
    const state: PState = { uid, name, startTime: now(), containers: [] };
    for (const c of pod.spec.containers) {
      const log = join(this.dir, `${name}-${c.name}.log`);
      const fd = openSync(log, 'a', 0o600);
      const child = spawn(BUSYBOX, [...(c.command ?? ['sh']), ...(c.args ?? [])], { detached: true, stdio: ['ignore', fd, fd], cwd: '/' });
      closeSync(fd);
      const cs: CState = { name: c.name, image: c.image, pid: child.pid!, startedAt: now(), log };
      this.track(child, state, cs, emit);
      state.containers.push(cs);
      emit({ type: 'container', time: now(), pod: name, uid, container: c.name, state: 'running' });
    }
    this.pods.push(state);
    this.save();
    emit({ type: 'pod', time: now(), pod: name, uid, phase: 'Running' });
    return this.status(state);
  }

  private track(child: ChildProcess, pod: PState, c: CState, emit: (e: PodEvent) => void): void {
    this.children.set(child.pid!, child);
    child.unref();
    child.on('exit', (code, signal) => {
      this.children.delete(child.pid!);
      const exitCode = code ?? 128 + (signal ? signalNumber(signal) : 0);
      c.exit = { code: exitCode, finishedAt: new Date().toISOString() };
      this.save();
      emit({ type: 'container', time: c.exit.finishedAt, pod: pod.name, uid: pod.uid, container: c.name, state: 'terminated', exitCode, reason: exitCode === 0 ? 'Completed' : 'Error' });
    });
  }

  async stopPod(req: StopPodRequest): Promise<PodStatus> {
    const p = this.find(req.pod);
    const grace = Math.min(req.gracePeriodSeconds ?? 2, 300) * 1000;
    await this.killAll(p, 'SIGTERM', grace);
    for (const l of this.listeners) l({ type: 'pod', time: new Date().toISOString(), pod: p.name, uid: p.uid, phase: this.phase(p) });
    return this.status(p);
  }

  async deletePod(req: DeletePodRequest): Promise<void> {
    const p = this.find(req.pod);
    if (p.containers.some((c) => !c.exit && alive(c.pid))) {
      if (!req.force) throw new PodError(`pod ${p.name} is running`, 'BUSY');
      await this.killAll(p, 'SIGKILL', 2000);
    }
    for (const c of p.containers) rmSync(c.log, { force: true });
    this.pods = this.pods.filter((x) => x !== p);
    this.save();
  }

  async podStatus(pod: string): Promise<PodStatus> {
    return this.status(this.find(pod));
  }

  async listPods(): Promise<PodStatus[]> {
    return this.pods.map((p) => this.status(p));
  }

  /** Its "pods" share the host's network, and it has no namespace to offer: a dial connects to the host's loopback. */
  async dial(pod: string, port: number): Promise<Duplex> {
    this.find(pod);
    return new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
      s.once('connect', () => {
        s.off('error', onError);
        resolve(s);
      });
      const onError = (e: NodeJS.ErrnoException) => reject(e.code === 'ECONNREFUSED' ? new PodError(`connection refused: nothing listens on port ${port} in the pod`, 'NOT_RUNNING') : e);
      s.once('error', onError);
    });
  }

  async exec(req: ExecRequest): Promise<ExecSession> {
    const p = this.find(req.pod);
    const c = req.container ? p.containers.find((x) => x.name === req.container) : p.containers[0];
    if (!c) throw new PodError(`container ${req.container} not found in pod ${p.name}`, 'NOT_FOUND', { container: req.container });
    if (c.exit) throw new PodError(`container ${c.name} is not running`, 'RUNTIME', { container: c.name });
    const child = spawn(BUSYBOX, req.command, { stdio: [req.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'], cwd: '/' });
    const exit = new Promise<number>((resolve) => {
      child.on('error', () => resolve(127));
      child.on('exit', (code, signal) => resolve(code ?? 128 + (signal ? signalNumber(signal) : 0)));
    });
    const resizes = join(this.dir, 'resizes.log');
    if (req.size) appendFileSync(resizes, `${req.size.columns}x${req.size.rows}\n`);
    let stdout: Readable = child.stdout!;
    let stderr: Readable | undefined = child.stderr!;
    if (req.tty) {
      // No pty here: a terminal has one output stream, so stderr joins stdout.
      const merged = new PassThrough();
      let open = 2;
      for (const s of [child.stdout!, child.stderr!]) {
        s.on('data', (b: Buffer) => merged.write(b));
        s.on('end', () => --open === 0 && merged.end());
      }
      stdout = merged;
      stderr = undefined;
    }
    return {
      stdin: child.stdin ?? undefined,
      stdout,
      stderr,
      resize: (size) => appendFileSync(resizes, `${size.columns}x${size.rows}\n`),
      exit,
      // As the real runtime: a cancelled session ends the command itself.
      kill: () => void child.kill('SIGKILL'),
    };
  }

  async logs(req: LogsRequest, signal?: AbortSignal): Promise<Readable> {
    const p = this.find(req.pod);
    const c = req.container ? p.containers.find((x) => x.name === req.container) : p.containers[0];
    if (!c) throw new PodError(`container ${req.container} not found in pod ${p.name}`, 'NOT_FOUND', { container: req.container });
    const text = existsSync(c.log) ? readFileSync(c.log, 'utf8') : '';
    let lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    if (req.tail !== undefined) lines = lines.slice(Math.max(0, lines.length - req.tail));
    const head = lines.map((l) => l + '\n').join('');
    if (!req.follow) return Readable.from([Buffer.from(head)]);
    return Readable.from(follow(c.log, Buffer.byteLength(text), head, signal));
  }

  /** For the tests' cleanup: every container pid this home has started. */
  static pids(home: string): number[] {
    const file = join(home, 'test-runtime', 'state.json');
    if (!existsSync(file)) return [];
    return (JSON.parse(readFileSync(file, 'utf8')) as PState[]).flatMap((p) => p.containers.map((c) => c.pid));
  }

  private async killAll(p: PState, sig: NodeJS.Signals, graceMs: number): Promise<void> {
    const live = p.containers.filter((c) => !c.exit && alive(c.pid));
    for (const c of live) killGroup(c.pid, sig);
    await Promise.all(live.map((c) => this.exited(c.pid, graceMs)));
    for (const c of live) if (alive(c.pid)) killGroup(c.pid, 'SIGKILL');
    await Promise.all(live.map((c) => this.exited(c.pid, 30_000)));
    for (const c of live) c.exit ??= { code: 137, finishedAt: new Date().toISOString() };
    this.save();
  }

  /**
   * Resolves once `pid` has exited (true) or `timeoutMs` passed (false). A child of this process has its exit
   * event, which comes after track()'s own listener recorded the code. A container started by an earlier daemon
   * is not our child: no event reaches us for it, so that case polls.
   */
  private exited(pid: number, timeoutMs: number): Promise<boolean> {
    const child = this.children.get(pid);
    if (child) {
      return new Promise((resolve) => {
        const timer = setTimeout(() => resolve(false), timeoutMs);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve(true);
        });
      });
    }
    return (async () => {
      const deadline = Date.now() + timeoutMs;
      while (alive(pid)) {
        if (Date.now() > deadline) return false;
        await new Promise((r) => setTimeout(r, 20));
      }
      return true;
    })();
  }

  private find(pod: string): PState {
    const p = this.pods.find((x) => x.name === pod || x.uid === pod);
    if (!p) throw new PodError(`pod ${pod} not found`, 'NOT_FOUND');
    return p;
  }

  private phase(p: PState): PodPhase {
    if (p.containers.some((c) => !c.exit)) return 'Running';
    return p.containers.every((c) => c.exit!.code === 0) ? 'Succeeded' : 'Failed';
  }

  private status(p: PState): PodStatus {
    const cs = p.containers.map((c): ContainerStatus => {
      const running = !c.exit;
      return {
        name: c.name,
        image: c.image,
        imageID: 'sha256:test',
        containerID: `podsmith://${p.uid}-${c.name}`,
        state: running
          ? { running: { startedAt: c.startedAt } }
          : { terminated: { exitCode: c.exit!.code, reason: c.exit!.code === 0 ? 'Completed' : 'Error', startedAt: c.startedAt, finishedAt: c.exit!.finishedAt } },
        lastState: {},
        ready: running,
        started: running,
        restartCount: 0,
      };
    });
    const ready = cs.every((c) => c.ready);
    return {
      uid: p.uid,
      name: p.name,
      namespace: 'default',
      runtimeClassName: 'pod-containers',
      ociRuntime: 'test-processes',
      phase: this.phase(p),
      conditions: [
        { type: 'Initialized', status: 'True', lastTransitionTime: p.startTime },
        { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: p.startTime },
      ],
      podIP: '10.0.0.1',
      hostname: p.name,
      startTime: p.startTime,
      initContainerStatuses: [],
      containerStatuses: cs,
    };
  }

  private get stateFile(): string {
    return join(this.dir, 'state.json');
  }

  private save(): void {
    writeFileSync(this.stateFile, JSON.stringify(this.pods));
  }
}

async function* follow(path: string, from: number, head: string, signal?: AbortSignal): AsyncGenerator<Buffer> {
  try {
    yield* tail(path, from, head, signal);
  } finally {
    // Tells the tests the daemon ended the follow when its client went away.
    appendFileSync(join(path, '..', 'follows-ended'), `${path}\n`);
  }
}

async function* tail(path: string, from: number, head: string, signal?: AbortSignal): AsyncGenerator<Buffer> {
  if (head) yield Buffer.from(head);
  let at = from;
  // Appends to the log show up as events on its directory; one watcher for the whole follow, so none is missed
  // between two reads.
  let changed = true;
  let wake: (() => void) | undefined;
  const watcher = watch(dirname(path), () => {
    changed = true;
    wake?.();
  });
  const onAbort = (): void => wake?.();
  signal?.addEventListener('abort', onAbort);
  try {
    while (!signal?.aborted) {
      if (!changed) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      changed = false;
      const size = existsSync(path) ? statSync(path).size : at;
      if (size > at) {
        const fh = await open(path, 'r');
        const buf = Buffer.alloc(size - at);
        await fh.read(buf, 0, buf.length, at);
        await fh.close();
        at = size;
        yield buf;
      }
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    watcher.close();
  }
}

/**
 * Alive and not a zombie (a reparented child nobody reaps still answers kill(0)). A killed multi-threaded
 * process's main thread turns zombie while other threads still exit and its files are still open: it counts as
 * alive until every thread is a zombie.
 */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return readdirSync(`/proc/${pid}/task`).some((tid) => taskState(`/proc/${pid}/task/${tid}/stat`) !== 'Z');
  } catch {
    return false;
  }
}

function taskState(statPath: string): string {
  try {
    const stat = readFileSync(statPath, 'utf8');
    const at = stat.lastIndexOf(')') + 2;
    return stat.slice(at, at + 1);
  } catch {
    return 'Z';
  }
}

function killGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    // gone
  }
}

function signalNumber(sig: NodeJS.Signals): number {
  return (constants.signals as Record<string, number>)[sig] ?? 0;
}
