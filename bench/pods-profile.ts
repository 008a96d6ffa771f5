// Where the Podsmith engine's time goes when a pod of 2 app containers (+ pause) is run and force-deleted
// (used by ./pods.ts when the engine misses an aim; engine files are not touched):
//
//   A. Child processes of the REAL runtime (createNativeRuntime → runPod / deletePod): `child_process.spawn`
//      is wrapped for the duration, and every conmon, runc, mount, umount, flock ... is timed from spawn to
//      exit, as an offset from the start of the operation. What no child process covers is JavaScript, file
//      system calls and polling waits.
//   B. Steps of a SCRATCH COPY of run_pod (engine/pods/native/run-pod.ts, launch.ts) and delete_pod
//      (delete-pod.ts, teardown.ts) for app-only pods without hooks, making the same calls in the same order
//      with a timer around each step. It is a copy: when those files change, this file must follow (the
//      real runtime's total from A is printed next to it so a drift shows).
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import { lstat, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildBundleConfig, writeBundle, type EnvSources, type RuntimeSpec } from '../engine/image/bundle';
import { createRootfs, removeRootfs } from '../engine/image/unpack';
import { conmonLogArgs, instanceLogPath } from '../engine/logs';
import { createNativeRuntime } from '../engine/pods/native';
import { admitPod } from '../engine/pods/native/admit';
import { RuntimeContext } from '../engine/pods/native/context';
import { etcMounts, writeEtcFiles } from '../engine/pods/native/etc-files';
import { unmountUnder } from '../engine/pods/native/host-mounts';
import { ensureImages } from '../engine/pods/native/images';
import { joinedNamespaces } from '../engine/pods/native/launch';
import { PodPaths, containerId, pauseId, podsDir, uidPrefix } from '../engine/pods/native/paths';
import { hostnameOf, podFacts } from '../engine/pods/native/pod-facts';
import type { PodContainer } from '../engine/pods/native/pod-spec';
import { podLimits, DEFAULT_POD_PIDS_LIMIT } from '../engine/pods/native/run-pod';
import { claimName, readPod, releaseName, resolvePodRef, writePod, type ContainerRecord, type PodRecord } from '../engine/pods/native/state';
import { toPodStatus } from '../engine/pods/native/status';
import { Supervisor } from '../engine/pods/native/supervisor';
import { teardownPod } from '../engine/pods/native/teardown';
import { containerMounts, prepareVolumes } from '../engine/pods/native/volumes';
import {
  applyPodLimits,
  containerCgroupPath,
  createUnderConmon,
  ensurePauseRootfs,
  hostFacts,
  isAlive,
  pauseBundleInput,
  podCgroupPath,
  removeCgroupTree,
  selectOciRuntime,
  signalProcess,
  waitGone,
} from '../engine/runtime';
import type { FloorParts } from './pods';
import { percentile } from './stats';

export interface ProcessTiming {
  label: string;
  /** Median offset from the operation's start, ms. */
  start: number;
  /** Median spawn-to-exit duration, ms. */
  duration: number;
  /** How many runs started it (of `runs`). */
  seen: number;
}

export interface PhaseProcesses {
  /** Median wall time of the real operation. */
  total: number;
  /** Median time during which at least one child process ran. */
  covered: number;
  /** Median count of child processes per operation. */
  count: number;
  processes: ProcessTiming[];
}

export interface FsUse {
  call: string;
  /** Median calls per operation. */
  count: number;
  /** Median summed latency per operation, ms (concurrent calls overlap). */
  ms: number;
}

export interface StepTiming {
  step: string;
  ms: number;
}

export interface PodsProfile {
  runs: number;
  realRuntime: { up: PhaseProcesses; down: PhaseProcesses; fs: { up: FsUse[]; down: FsUse[] } };
  scratchCopy: { up: StepTiming[]; down: StepTiming[]; upTotal: number; downTotal: number };
  /** The floor's steps (p50), measured interleaved with the profile runs. */
  floor?: FloorParts;
  /** Start-up of the CLI alone (p50 ms): `node podsmith.js --version` and `node -e 0`. */
  cliStartup?: { podsmith: number; node: number; bundleKiB: number };
  suggestions: string[];
  text: string;
}

const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);

// ---------------------------------------------------------------------------------------------------------
// A. Child processes of the real runtime

interface Spawned {
  label: string;
  start: number;
  end?: number;
}

/** A short, run-independent name for a child process: the uid prefix of container ids is dropped. */
function processLabel(file: string, args: readonly string[]): string {
  const base = file.split('/').pop() ?? file;
  if (base === 'conmon') {
    const n = args[args.indexOf('-n') + 1] ?? '?';
    return `conmon → runc create ${n.split('/').pop()} (until the sync pipe reports)`;
  }
  if (base === 'runc' || base === 'crun' || base === 'youki') {
    const a = args[0] === '--root' ? args.slice(2) : [...args];
    const flags = a.slice(1).filter((x) => x.startsWith('-') && x !== '--format');
    const id = a.slice(1).find((x) => !x.startsWith('-') && x !== 'json');
    return `${base} ${a[0]}${flags.length ? ' ' + flags.join(' ') : ''}${id ? ' ' + id.replace(/^[0-9a-f]{12}-/, '') : ''}`;
  }
  if (base === 'mount') return `mount ${args.includes('overlay') ? 'overlay' : args.join(' ').slice(0, 30)}`;
  if (base === 'umount') {
    const p = args[args.length - 1] ?? '';
    const m = /\/c\/([^/]+)\//.exec(p);
    return `umount${args.includes('-l') ? ' -l' : ''} ${m ? m[1] : p.split('/').slice(-2).join('/')}`;
  }
  if (base === 'flock') return 'flock (helper: lock was contended)';
  return `${base} ${args.slice(0, 2).join(' ')}`.trim();
}

/** Wraps child_process.spawn (the engine calls it through the module object, so the wrapper sees every call). */
function traceSpawns(): { take(): Spawned[]; restore(): void } {
  const cp = require('node:child_process') as { spawn: (...a: unknown[]) => import('node:child_process').ChildProcess };
  const original = cp.spawn;
  let log: Spawned[] = [];
  cp.spawn = function (this: unknown, ...a: unknown[]) {
    const child = original.apply(this, a);
    const entry: Spawned = { label: processLabel(String(a[0]), Array.isArray(a[1]) ? (a[1] as string[]) : []), start: performance.now() };
    log.push(entry);
    const done = () => (entry.end ??= performance.now());
    // conmon forks into the background at once; its work (runc create) ends when it reports on the sync pipe
    // (fd 3), which the engine reads too (both listeners get every chunk).
    const sync = String(a[0]).endsWith('conmon') ? (child.stdio[3] as NodeJS.ReadableStream | null) : null;
    if (sync) {
      sync.once('data', done);
      sync.once('end', done);
    } else child.once('exit', done);
    child.once('error', done);
    return child;
  };
  return {
    take() {
      const out = log;
      log = [];
      return out;
    },
    restore() {
      cp.spawn = original;
    },
  };
}

type FsTally = Map<string, { count: number; ms: number }>;

const FS_CALLS = ['open', 'mkdir', 'writeFile', 'readFile', 'rename', 'rm', 'rmdir', 'readdir', 'lstat', 'stat', 'symlink', 'readlink', 'unlink', 'copyFile', 'chmod', 'lchown', 'realpath', 'access', 'appendFile'];

/**
 * Wraps node:fs/promises functions (the engine reaches them through the module object too) and FileHandle's
 * sync/datasync: calls and summed latency per function. Latencies of concurrent calls overlap, and include
 * the wait for a libuv thread.
 */
async function traceFs(): Promise<{ take(): FsTally; restore(): void }> {
  const fsp = require('node:fs/promises') as Record<string, unknown>;
  let tally: FsTally = new Map();
  const add = (name: string, t: number) => {
    const e = tally.get(name) ?? { count: 0, ms: 0 };
    e.count++;
    e.ms += performance.now() - t;
    tally.set(name, e);
  };
  const wrap = (name: string, fn: (...a: unknown[]) => Promise<unknown>) =>
    function (this: unknown, ...a: unknown[]) {
      const t = performance.now();
      const p = fn.apply(this, a);
      p.then(
        () => add(name, t),
        () => add(name, t),
      );
      return p;
    };
  const restores: (() => void)[] = [];
  for (const name of FS_CALLS) {
    const fn = fsp[name];
    if (typeof fn !== 'function') continue;
    fsp[name] = wrap(name, fn as (...a: unknown[]) => Promise<unknown>);
    restores.push(() => (fsp[name] = fn));
  }
  const open = fsp.open as (p: string, f: string) => Promise<{ close(): Promise<void> }>;
  const fh = await open('/proc/self/stat', 'r');
  const proto = Object.getPrototypeOf(fh) as Record<string, unknown>;
  await fh.close();
  for (const name of ['sync', 'datasync']) {
    const fn = proto[name] as (...a: unknown[]) => Promise<unknown>;
    proto[name] = wrap(`FileHandle.${name}`, fn);
    restores.push(() => (proto[name] = fn));
  }
  tally = new Map();
  return {
    take() {
      const out = tally;
      tally = new Map();
      return out;
    },
    restore() {
      for (const r of restores) r();
    },
  };
}

function summarizeFs(runs: FsTally[]): FsUse[] {
  const names = new Set(runs.flatMap((r) => [...r.keys()]));
  return [...names]
    .map((name) => ({ call: name, count: median(runs.map((r) => r.get(name)?.count ?? 0)), ms: median(runs.map((r) => r.get(name)?.ms ?? 0)) }))
    .sort((a, b) => b.ms - a.ms);
}

/** Length of the union of [start, end] intervals. */
function covered(spans: { start: number; end: number }[]): number {
  const s = [...spans].sort((a, b) => a.start - b.start);
  let total = 0;
  let curStart = -Infinity;
  let curEnd = -Infinity;
  for (const x of s) {
    if (x.start > curEnd) {
      if (curEnd > curStart) total += curEnd - curStart;
      curStart = x.start;
      curEnd = x.end;
    } else curEnd = Math.max(curEnd, x.end);
  }
  if (curEnd > curStart) total += curEnd - curStart;
  return total;
}

function summarizePhase(runs: { t0: number; t1: number; spawned: Spawned[] }[]): PhaseProcesses {
  const byLabel = new Map<string, { starts: number[]; durations: number[] }>();
  for (const r of runs) {
    const seenHere = new Map<string, number>();
    for (const s of r.spawned) {
      // A label seen twice in one run (a retried umount, say) gets a counter.
      const n = (seenHere.get(s.label) ?? 0) + 1;
      seenHere.set(s.label, n);
      const label = n > 1 ? `${s.label} (#${n})` : s.label;
      const e = byLabel.get(label) ?? { starts: [], durations: [] };
      e.starts.push(s.start - r.t0);
      e.durations.push((s.end ?? r.t1) - s.start);
      byLabel.set(label, e);
    }
  }
  const processes = [...byLabel].map(([label, e]) => ({ label, start: median(e.starts), duration: median(e.durations), seen: e.starts.length })).sort((a, b) => a.start - b.start);
  return {
    total: median(runs.map((r) => r.t1 - r.t0)),
    covered: median(runs.map((r) => covered(r.spawned.map((s) => ({ start: s.start, end: s.end ?? r.t1 }))))),
    count: median(runs.map((r) => r.spawned.length)),
    processes,
  };
}

// ---------------------------------------------------------------------------------------------------------
// B. A scratch copy of run_pod and delete_pod with step timers

class Steps {
  readonly ms = new Map<string, number>();
  async time<T>(step: string, fn: () => Promise<T> | T): Promise<T> {
    // Keyed at the start, so a group is listed before the steps inside it.
    if (!this.ms.has(step)) this.ms.set(step, 0);
    const t = performance.now();
    try {
      return await fn();
    } finally {
      this.ms.set(step, (this.ms.get(step) ?? 0) + performance.now() - t);
    }
  }
}

function newContainer(spec: PodContainer): ContainerRecord {
  return { name: spec.name, kind: 'app', image: spec.image ?? '', restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } }, lastState: {}, ready: false, started: false, stopSignal: 'SIGTERM' };
}

/** Reads a file of the image rootfs without following a symlink out of it (copy of launch.ts). */
async function rootfsFile(rootfs: string, rel: string): Promise<string | undefined> {
  let path = rootfs;
  for (const part of rel.split('/')) {
    path = join(path, part);
    const st = await lstat(path).catch(() => undefined);
    if (!st || st.isSymbolicLink()) return undefined;
  }
  return readFile(path, 'utf8').catch(() => undefined);
}

/** run_pod (run-pod.ts) for app-only pods without lifecycle hooks, each step timed. Returns the uid. */
async function scratchRunPod(ctx: RuntimeContext, supervisor: Supervisor, manifest: string, fileName: string, S: Steps): Promise<string> {
  const admitted = await S.time('admit (validate the manifest)', () => admitPod({ manifest, fileName }));
  const { pod, namespace } = admitted;
  if (pod.spec.initContainers?.length || pod.spec.containers.some((c) => c.lifecycle)) throw new Error('the scratch copy handles app-only pods without hooks');
  const name = pod.metadata.name;
  const uid = randomUUID();
  const paths = new PodPaths(ctx.home, uid);
  await S.time('pod dir + claim name (mkdir, symlink)', async () => {
    await mkdir(podsDir(ctx.home), { recursive: true, mode: 0o700 });
    await mkdir(paths.dir, { mode: 0o700 });
    const holder = await claimName(ctx.home, namespace, name, uid);
    if (holder) throw new Error(`pod ${name} exists`);
  });
  let record: PodRecord | undefined;
  try {
    const runtime = await S.time('select OCI runtime (cached probe)', () => selectOciRuntime(ctx.home, 'runc'));
    const now = new Date().toISOString();
    record = {
      version: 1,
      uid,
      name,
      namespace,
      createdAt: now,
      startTime: now,
      lifecycle: 'creating',
      ociRuntime: runtime.info,
      hostname: hostnameOf(pod, uid),
      fileName,
      pod,
      containers: pod.spec.containers.map(newContainer),
      conditions: [],
      warnings: [],
    };
    const rec = record;
    await S.time('save record #1 (creating) + exits/s dirs', async () => {
      await Promise.all([mkdir(paths.exits, { mode: 0o700 }), mkdir(paths.sockets, { mode: 0o700 })]);
      await ctx.save(rec);
    });
    const specs = pod.spec.containers;
    const images = await S.time('resolve images in the store', () => ensureImages(ctx, specs, { name }));
    for (const c of rec.containers) c.imageID = images.get(c.image);
    const facts = podFacts(pod, uid);
    const volumes = await S.time('volumes + /etc files (hosts, hostname, resolv.conf)', async () => {
      const v = await prepareVolumes(pod, paths, admitted, facts);
      await writeEtcFiles(paths, pod.spec, rec.hostname);
      return v;
    });
    const sources: EnvSources = { configMaps: {}, secrets: {} };
    const pidsLimit = ctx.options.podPidsLimit ?? DEFAULT_POD_PIDS_LIMIT;

    const startPause = async () => {
      const rootfs = await S.time('  pause: pause rootfs (stat catatonit copy)', () => ensurePauseRootfs(ctx.home));
      const id = pauseId(uid);
      await S.time('  pause: bundle config + write', async () => {
        const { config } = buildBundleConfig(pauseBundleInput({ pod: facts, rootfs, cgroupsPath: containerCgroupPath(uid, id) }));
        await writeBundle(paths.pause, config);
        await mkdir(join(paths.pause, 'p'), { mode: 0o700 });
      });
      const created = await S.time('  pause: conmon → runc create (until the sync pipe reports)', () =>
        createUnderConmon({
          conmon: ctx.conmon(),
          runtime,
          id,
          socketId: id.slice(0, 12) + 'p',
          name: `${name}/POD`,
          bundle: paths.pause,
          exitDir: paths.exits,
          persistDir: join(paths.pause, 'p'),
          socketDir: paths.sockets,
          pidFile: join(paths.pause, 'pid'),
          conmonPidFile: join(paths.pause, 'conmon.pid'),
          logArgs: ['-l', `k8s-file:${join(paths.pause, 'pause.log')}`],
        }),
      );
      rec.pause = { id, socketId: id.slice(0, 12) + 'p', pid: created.pid, conmonPid: created.conmonPid, ...(created.conmonStartTime ? { conmonStartTime: created.conmonStartTime } : {}) };
      await S.time('  pause: runc start', () => runtime.start(id));
      await S.time('  pause: pod cgroup limits (pids.max)', () => applyPodLimits(uid, podLimits(pod, pidsLimit)));
    };
    const prepare = async (spec: PodContainer) => {
      const n = spec.name;
      const mounts = [...(await containerMounts(spec, volumes)), ...etcMounts(paths, spec)];
      const store = await ctx.store();
      await mkdir(paths.container(n), { recursive: true, mode: 0o700 });
      const rootfs = await S.time(`  ${n}: rootfs (overlay mount, store lease + refs)`, () => createRootfs(store, { image: images.get(spec.image!)!, dir: paths.rootfsDir(n) }));
      await S.time(`  ${n}: config template (passwd lookup, build, write)`, async () => {
        const [passwd, group] = await Promise.all([rootfsFile(rootfs.path, 'etc/passwd'), rootfsFile(rootfs.path, 'etc/group')]);
        const hf = hostFacts();
        const result = buildBundleConfig({
          image: rootfs.image.config,
          container: spec,
          pod: facts,
          sources,
          rootfs: { path: rootfs.path, ...(passwd !== undefined ? { passwd } : {}), ...(group !== undefined ? { group } : {}) },
          cgroupsPath: containerCgroupPath(uid, `${n}-template`),
          mounts,
          rlimitCeilings: hf.rlimitCeilings,
          allCapabilities: hf.allCapabilities,
        });
        await writeFile(paths.template(n), JSON.stringify(result.config) + '\n', { mode: 0o600 });
        rec.containers.find((x) => x.name === n)!.stopSignal = result.stopSignal;
      });
    };
    await S.time('pause container ∥ prepare app containers (wall)', async () => {
      const r = await Promise.allSettled([startPause(), ...specs.map(prepare)]);
      const failed = r.find((x): x is PromiseRejectedResult => x.status === 'rejected');
      if (failed) throw failed.reason;
    });

    const launch = async (c: ContainerRecord) => {
      const n = c.name;
      const id = containerId(uid, n, c.restartCount);
      const bundle = paths.bundle(n, c.restartCount);
      const persist = join(bundle, 'p');
      const logDir = paths.logDir(n);
      await S.time(`  ${n}: instance bundle (read template, rm, write, mkdirs)`, async () => {
        const config = JSON.parse(await readFile(paths.template(n), 'utf8')) as RuntimeSpec;
        config.linux = { ...config.linux, cgroupsPath: containerCgroupPath(uid, id), namespaces: joinedNamespaces(facts, rec.pause!.pid) };
        await rm(bundle, { recursive: true, force: true });
        await writeBundle(bundle, config);
        await Promise.all([mkdir(persist, { recursive: true, mode: 0o700 }), mkdir(logDir, { recursive: true, mode: 0o700 })]);
      });
      const created = await S.time(`  ${n}: conmon → runc create (until the sync pipe reports)`, () =>
        createUnderConmon({
          conmon: ctx.conmon(),
          runtime,
          id,
          socketId: Math.random().toString(16).slice(2, 14),
          name: `${name}/${n}`,
          bundle,
          exitDir: paths.exits,
          persistDir: persist,
          socketDir: paths.sockets,
          pidFile: join(bundle, 'pid'),
          conmonPidFile: join(bundle, 'conmon.pid'),
          logArgs: conmonLogArgs(instanceLogPath(logDir, c.restartCount)),
        }),
      );
      c.process = { id, socketId: '', pid: created.pid, conmonPid: created.conmonPid, ...(created.conmonStartTime ? { conmonStartTime: created.conmonStartTime } : {}) };
      await S.time(`  ${n}: runc start`, () => runtime.start(id));
      c.state = { running: { startedAt: new Date().toISOString() } };
      c.started = true;
      c.ready = true;
    };
    await S.time('launch app containers in parallel (wall)', async () => {
      const r = await Promise.allSettled(rec.containers.map(launch));
      const failed = r.find((x): x is PromiseRejectedResult => x.status === 'rejected');
      if (failed) throw failed.reason;
    });
    rec.lifecycle = 'running';
    await S.time('save record #2 (running)', () => ctx.save(rec));
    await S.time('supervisor.watch (exit dir watch, log rotators)', () => supervisor.watch(rec));
    toPodStatus(rec);
    return uid;
  } catch (err) {
    supervisor.unwatch(uid);
    await teardownPod(ctx, uid, record);
    throw err;
  }
}

/** delete_pod --force (delete-pod.ts + teardown.ts), each step timed. */
async function scratchDeletePod(ctx: RuntimeContext, supervisor: Supervisor, ref: string, S: Steps): Promise<void> {
  const { uid, record } = await S.time('find pod + read record', async () => {
    const uid = (await resolvePodRef(ctx.home, ref))!;
    return { uid, record: (await readPod(ctx.home, uid))! };
  });
  supervisor.unwatch(uid);
  record.lifecycle = 'deleting';
  await S.time('save record (deleting)', () => writePod(ctx.home, record));
  const paths = new PodPaths(ctx.home, uid);
  const prefix = `${uidPrefix(uid)}-`;
  const conmons = await S.time('conmon pids (record + pid files)', async () => {
    const out: { pid: number; startTime?: string }[] = [];
    if (record.pause) out.push({ pid: record.pause.conmonPid, startTime: record.pause.conmonStartTime });
    for (const c of record.containers) if (c.process) out.push({ pid: c.process.conmonPid, startTime: c.process.conmonStartTime });
    const files = [join(paths.pause, 'conmon.pid')];
    for (const n of await readdir(join(paths.dir, 'c')).catch(() => [] as string[]))
      for (const b of await readdir(paths.container(n)).catch(() => [] as string[])) if (/^b\d+$/.test(b)) files.push(join(paths.container(n), b, 'conmon.pid'));
    for (const f of files) {
      const pid = Number((await readFile(f, 'utf8').catch(() => '')).trim());
      if (pid > 0 && !out.some((x) => x.pid === pid)) out.push({ pid });
    }
    return out;
  });
  const runtime = ctx.oci(record);
  const ids = await S.time('runc list (find the pod’s containers)', async () => (await runtime.list().catch(() => [])).map((s) => s.id).filter((id) => id.startsWith(prefix)));
  await S.time('runc kill --all KILL ×3 (parallel)', () => Promise.all(ids.map((id) => runtime.kill(id, 'SIGKILL', true).catch(() => runtime.kill(id, 'SIGKILL').catch(() => undefined)))));
  await S.time('wait for the conmons to exit (poll /proc)', () => Promise.all(conmons.map((c) => waitGone(c.pid, 5000, c.startTime))));
  await S.time('runc delete --force ×3 (parallel)', () => Promise.all(ids.map((id) => runtime.delete(id, true).catch(() => undefined))));
  for (const c of conmons) if (isAlive(c.pid, c.startTime)) signalProcess(c.pid, 'SIGKILL');
  await S.time('remove the pod cgroup tree (all hierarchies)', () => removeCgroupTree(podCgroupPath(uid)));
  const store = await ctx.store();
  await S.time('remove rootfs ×2 (umount overlay, store refs; sequential)', async () => {
    for (const n of await readdir(join(paths.dir, 'c')).catch(() => [] as string[])) await removeRootfs(store, paths.rootfsDir(n)).catch(() => undefined);
  });
  await S.time('unmount anything else under the pod (mountinfo scan)', async () => {
    const stuck = await unmountUnder(paths.dir);
    if (stuck.length) throw new Error(`cannot unmount ${stuck.join(', ')}`);
  });
  await S.time('rm -r pod dir', () => rm(paths.dir, { recursive: true, force: true }));
  await S.time('release name', () => releaseName(ctx.home, record.namespace, record.name, uid));
  ctx.forget(uid);
}

// ---------------------------------------------------------------------------------------------------------

export interface ProfileOptions {
  home: string;
  manifest: string;
  fileName: string;
  runs: number;
  /** Each pod uid made (for the caller's leak checker). */
  onUid: (uid: string) => void;
  /** Runs one floor round (pause + 2 apps with bare runc) and returns its steps, to compare under the same load. */
  floorRound?: (i: number) => Promise<FloorParts>;
  /** The CLI the bench runs, to time its start-up. */
  cli?: { path: string; env: NodeJS.ProcessEnv };
}

function medianSteps(all: Steps[]): StepTiming[] {
  const order: string[] = [];
  for (const s of all) for (const k of s.ms.keys()) if (!order.includes(k)) order.push(k);
  return order.map((step) => ({ step, ms: median(all.map((s) => s.ms.get(step) ?? 0)) }));
}

export async function profilePodsmith(o: ProfileOptions): Promise<PodsProfile> {
  // Each iteration runs the real runtime (traced), the scratch copy (timed steps) and, when given, a floor
  // round, so all three see the same machine load; the first iteration is a warm-up.
  const runtime = createNativeRuntime({ home: o.home, ociRuntime: 'runc' });
  const ctx = new RuntimeContext({ home: o.home, ociRuntime: 'runc' });
  const supervisor = new Supervisor(ctx);
  const realUp: { t0: number; t1: number; spawned: Spawned[] }[] = [];
  const realDown: { t0: number; t1: number; spawned: Spawned[] }[] = [];
  const fsUp: FsTally[] = [];
  const fsDown: FsTally[] = [];
  const ups: Steps[] = [];
  const downs: Steps[] = [];
  const upTotals: number[] = [];
  const downTotals: number[] = [];
  const floors: FloorParts[] = [];
  try {
    for (let i = 0; i < o.runs + 1; i++) {
      const warm = i === 0;
      // A. the real runtime, traced.
      const trace = traceSpawns();
      const fs = await traceFs();
      try {
        const t0 = performance.now();
        const status = await runtime.runPod({ manifest: o.manifest, fileName: o.fileName });
        const t1 = performance.now();
        o.onUid(status.uid);
        const upSpawned = trace.take();
        const upFs = fs.take();
        const t2 = performance.now();
        await runtime.deletePod({ pod: status.uid, force: true });
        const t3 = performance.now();
        if (!warm) {
          realUp.push({ t0, t1, spawned: upSpawned });
          realDown.push({ t0: t2, t1: t3, spawned: trace.take() });
          fsUp.push(upFs);
          fsDown.push(fs.take());
        }
      } finally {
        trace.restore();
        fs.restore();
      }
      // B. the scratch copy, step by step.
      const up = new Steps();
      const down = new Steps();
      const t0 = performance.now();
      const uid = await scratchRunPod(ctx, supervisor, o.manifest, o.fileName, up);
      const t1 = performance.now();
      o.onUid(uid);
      await scratchDeletePod(ctx, supervisor, uid, down);
      const t2 = performance.now();
      if (!warm) {
        ups.push(up);
        downs.push(down);
        upTotals.push(t1 - t0);
        downTotals.push(t2 - t1);
      }
      // The floor, for comparison under the same load.
      if (o.floorRound) {
        const parts = await o.floorRound(i);
        if (!warm) floors.push(parts);
      }
    }
  } finally {
    supervisor.close();
    await runtime.close();
  }
  const real = { up: summarizePhase(realUp), down: summarizePhase(realDown), fs: { up: summarizeFs(fsUp), down: summarizeFs(fsDown) } };
  const scratch = { up: medianSteps(ups), down: medianSteps(downs), upTotal: median(upTotals), downTotal: median(downTotals) };
  const floor = floors.length
    ? (Object.fromEntries((['pauseCreate', 'pauseStart', 'apps', 'kill', 'delete'] as const).map((k) => [k, median(floors.map((f) => f[k]))])) as unknown as FloorParts)
    : undefined;
  const cliStartup = o.cli ? cliStartupTimes(o.cli, o.runs) : undefined;
  const suggestions = suggest(real, scratch, floor, cliStartup);
  return {
    runs: o.runs,
    realRuntime: real,
    scratchCopy: scratch,
    ...(floor ? { floor } : {}),
    ...(cliStartup ? { cliStartup } : {}),
    suggestions,
    text: render(o.runs, real, scratch, suggestions, cliStartup, floor),
  };
}

function cliStartupTimes(cli: { path: string; env: NodeJS.ProcessEnv }, runs: number): PodsProfile['cliStartup'] {
  const time = (args: string[]) => {
    const xs: number[] = [];
    for (let i = 0; i < runs + 1; i++) {
      const t = performance.now();
      const r = spawnSync(process.execPath, args, { env: cli.env, stdio: 'ignore' });
      if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed`);
      if (i > 0) xs.push(performance.now() - t);
    }
    return median(xs);
  };
  return { podsmith: time([cli.path, '--version']), node: time(['-e', '0']), bundleKiB: Math.round(statSync(cli.path).size / 1024) };
}

// ---------------------------------------------------------------------------------------------------------

const f1 = (ms: number) => ms.toFixed(1);

function render(runs: number, real: PodsProfile['realRuntime'], scratch: PodsProfile['scratchCopy'], suggestions: string[], cli: PodsProfile['cliStartup'], floor: FloorParts | undefined): string {
  const out: string[] = [`Where the Podsmith engine's time goes (median of ${runs} runs after a warm-up run; engine in process, force delete)`];
  out.push('  A. Child processes of the real runtime, spawn to exit, offset from the start of the call:');
  for (const [phase, p] of [['runPod', real.up], ['deletePod --force', real.down]] as const) {
    out.push(`     ${phase}: ${f1(p.total)} ms; ${p.count} child processes; some child running for ${f1(p.covered)} ms, none for ${f1(p.total - p.covered)} ms (JavaScript, file system, polling)`);
    out.push(`       ${'at ms'.padStart(8)}${'takes'.padStart(8)}  process`);
    for (const x of p.processes) out.push(`       ${f1(x.start).padStart(8)}${f1(x.duration).padStart(8)}  ${x.label}${x.seen < runs ? ` (in ${x.seen} of ${runs} runs)` : ''}`);
    const fsUse = phase === 'runPod' ? real.fs.up : real.fs.down;
    const calls = fsUse.reduce((a, x) => a + x.count, 0);
    out.push(`       file system: ${calls} node:fs/promises calls; summed latency (overlapping) by call: ${fsUse.slice(0, 8).map((x) => `${x.call} ${x.count}× ${f1(x.ms)}`).join(', ')}`);
  }
  out.push('  B. Steps of a scratch copy of run_pod / delete_pod (bench/pods-profile.ts; same calls, same order), ms:');
  for (const [phase, steps, total] of [['run_pod', scratch.up, scratch.upTotal], ['delete_pod --force', scratch.down, scratch.downTotal]] as const) {
    out.push(`     ${phase}: ${f1(total)} ms in all (the real runtime: ${f1(phase === 'run_pod' ? real.up.total : real.down.total)} ms)`);
    for (const s of steps) out.push(`       ${f1(s.ms).padStart(8)}  ${s.step}`);
  }
  if (floor)
    out.push(
      `  Floor, interleaved with these runs (ms): pause create ${f1(floor.pauseCreate)}, pause start ${f1(floor.pauseStart)}, apps create+start ${f1(floor.apps)} = up ${f1(floor.pauseCreate + floor.pauseStart + floor.apps)}; kill ${f1(floor.kill)} + delete ${f1(floor.delete)} = down ${f1(floor.kill + floor.delete)}.`,
    );
  if (cli) out.push(`  C. CLI start-up: 'node podsmith.js --version' ${f1(cli.podsmith)} ms, 'node -e 0' ${f1(cli.node)} ms (bundle ${cli.bundleKiB} KiB); the CLI row pays it twice per pod.`);
  if (suggestions.length) {
    out.push('  Suggestions (from the numbers above):');
    for (const s of suggestions) out.push(`     - ${s}`);
  }
  return out.join('\n');
}

/** Suggestions from the measured steps: each only when its step is worth it here. */
function suggest(real: PodsProfile['realRuntime'], scratch: PodsProfile['scratchCopy'], floor: FloorParts | undefined, cli: PodsProfile['cliStartup']): string[] {
  const step = (phase: 'up' | 'down', prefix: string) => scratch[phase].filter((s) => s.step.startsWith(prefix)).reduce((a, s) => a + s.ms, 0);
  const proc = (phase: 'up' | 'down', prefix: string) => real[phase].processes.find((p) => p.label.startsWith(prefix));
  const out: string[] = [];

  // run_pod, in critical-path order.
  const pauseConmon = proc('up', 'conmon → runc create POD');
  if (pauseConmon && pauseConmon.start >= 8) {
    const groupAt = scratch.up.findIndex((s) => s.step.startsWith('pause container'));
    const before = scratch.up.slice(0, groupAt).reduce((a, s) => a + s.ms, 0);
    const pauseSetup = step('up', '  pause: pause rootfs') + step('up', '  pause: bundle');
    out.push(
      `run: the pause container's conmon starts ${f1(pauseConmon.start)} ms into run_pod (the floor's first runc starts at 0): ${f1(before)} ms of admission, name claim, records, images, /etc files, then ${f1(pauseSetup)} ms of pause rootfs + bundle, while both apps' rootfs preparation (overlay mounts) competes for the event loop. Spawn the pause's conmon before starting the apps' preparation, and write the pause bundle from a cached template (only the uid, hostname and cgroup path change).`,
    );
  }
  if (pauseConmon && floor) {
    const extra = pauseConmon.duration - floor.pauseCreate;
    out.push(
      `run: conmon → runc create of the pause takes ${f1(pauseConmon.duration)} ms against ${f1(floor.pauseCreate)} ms for a bare 'runc create' in the floor (${extra >= 0 ? '+' : ''}${f1(extra)} ms): conmon itself (the price of exit codes and logs: keep it) and the apps' rootfs preparation competing for the 2 CPUs meanwhile (the floor's pause is created alone). The bigger lever is not running the pause through runc at all (below).`,
    );
  }
  const pauseStart = proc('up', 'runc start pause');
  const appConmon = real.up.processes.filter((p) => p.label.startsWith('conmon → runc create') && !p.label.includes(' POD '));
  if (pauseConmon && appConmon.length) {
    const firstApp = Math.min(...appConmon.map((p) => p.start));
    const gap = firstApp - (pauseConmon.start + pauseConmon.duration);
    out.push(
      `run: the apps' conmons start ${f1(gap)} ms after the pause container is created (runc start of the pause ${f1(pauseStart?.duration ?? 0)} ms, pod cgroup limits, instance bundles, all sequential). The apps only need the pause pid, known when its 'runc create' returns (the namespaces exist then): write the instance bundles while the pause is being created, start the app creates right after, and 'runc start' the pause in parallel with them.`,
    );
    out.push(
      `run: the pause process could skip conmon + runc altogether (${f1(pauseConmon.duration + (pauseStart?.duration ?? 0))} ms on the critical path here): it is Podsmith's own static catatonit, not user code. Spawning it directly in new net/ipc/uts namespaces (unshare(2) flags via util-linux 'unshare', moved into the pod cgroup, capabilities dropped with 'setpriv'), or pinning the namespaces with bind mounts as CRI-O's pinns does, costs a few ms. The floor as measured runs its pause through runc, so this alone is worth ${f1(pauseConmon.duration + (pauseStart?.duration ?? 0))} ms against it.`,
    );
  }
  const starts = real.up.processes.filter((p) => p.label.startsWith('runc start'));
  if (starts.length) {
    const avg = starts.reduce((a, p) => a + p.duration, 0) / starts.length;
    if (avg >= 4)
      out.push(
        `run: each 'runc start' is a process of its own (${f1(avg)} ms on average, ${starts.length} per pod; the floor pays it too). What it does is open <runc root>/<id>/exec.fifo and read it, which releases the container's init: doing that from Node saves the processes, at the price of depending on a runc (and crun) implementation detail rather than the OCI command line.`,
      );
  }
  const idle = real.up.total - real.up.covered;
  if (idle >= 15) out.push(`run: ${f1(idle)} ms of run_pod has no child process running: JavaScript and file system calls between the processes (B lists them; ${real.fs.up.reduce((a, x) => a + x.count, 0)} fs calls).`);
  const sync = real.fs.up.find((x) => x.call === 'FileHandle.datasync');
  if (sync && sync.ms >= 5)
    out.push(`run: ${sync.count} datasync calls cost ${f1(sync.ms)} ms (rootfs refs in the image store, written atomically and flushed). A rootfs ref only has to survive a process crash, not a host crash (mounts do not survive one either): rename without datasync is enough there.`);

  // delete_pod.
  const list = step('down', 'runc list');
  if (list >= 3)
    out.push(
      `delete: 'runc list' costs ${f1(list)} ms before anything is killed. With a record (the normal case) the ids are known (pause.id, containers[].process.id): kill those, and keep 'runc list' for record-less teardown (crash recovery).`,
    );
  const kill = step('down', 'runc kill');
  const del = step('down', 'runc delete');
  if (kill + del >= 10)
    out.push(
      `delete: 'runc kill --all KILL' then 'runc delete --force' is 2 runc processes per container, ${f1(kill)} + ${f1(del)} ms wall for the 3${floor ? ` (the floor's plain 'runc kill' + delete: ${f1(floor.kill)} + ${f1(floor.delete)} ms)` : ''}. 'runc delete --force' alone SIGKILLs every process of the container's cgroup and deletes it: one process per container. Or SIGKILL the recorded pids and the pod cgroup's cgroup.procs from Node, then only 'runc delete'.`,
    );
  const rootfs = step('down', 'remove rootfs');
  const umounts = real.down.processes.filter((p) => p.label.startsWith('umount'));
  if (rootfs >= 8)
    out.push(
      `delete: the rootfs are removed one after the other, ${f1(rootfs)} ms for 2 (an 'umount' process each, ${umounts.map((u) => f1(u.duration)).join(' and ')} ms, then rm of upper/work and the store ref). Remove them in parallel (Promise.all); umount2(2) in process through koffi (already used for flock) saves the processes.`,
    );
  const rmdir = step('down', 'rm -r pod dir');
  if (rmdir >= 3)
    out.push(`delete: 'rm -r' of the pod directory costs ${f1(rmdir)} ms: rename it into a trash directory of the home (atomic, so the pod is gone at once) and delete it after replying; reconcile empties the trash after a crash.`);
  const cg = step('down', 'remove the pod cgroup');
  if (cg >= 5) out.push(`delete: removing the pod cgroup tree costs ${f1(cg)} ms (rmdir in every hierarchy, EBUSY retried every 20 ms): retry sooner (2-5 ms).`);
  const wait = step('down', 'wait for the conmons');
  if (wait >= 5) out.push(`delete: waiting for the conmons to exit costs ${f1(wait)} ms (polling /proc, 2→50 ms back-off): run 'runc delete' meanwhile, it does not need conmon gone.`);

  if (floor && pauseConmon && appConmon.length) {
    // A rough sum of the critical-path savings above (they overlap a little; not a promise).
    const gap = Math.min(...appConmon.map((p) => p.start)) - (pauseConmon.start + pauseConmon.duration);
    const saved = Math.max(0, gap) + pauseConmon.duration + (pauseStart?.duration ?? 0) + list + kill + rootfs / 2 + rmdir;
    const engine = real.up.total + real.down.total;
    const floorTotal = floor.pauseCreate + floor.pauseStart + floor.apps + floor.kill + floor.delete;
    out.push(
      `together (rough, the savings overlap): apps right after the pause create, pause without runc, no 'runc list', one runc per container on delete, parallel rootfs removal, trash rename: about ${f1(saved)} ms of ${f1(engine)} ms, which would put the engine near ${((engine - saved) / floorTotal).toFixed(1)}× the floor measured alongside (${f1(floorTotal)} ms), against ${(engine / floorTotal).toFixed(1)}× now.`,
    );
  }
  if (cli && cli.podsmith - cli.node >= 30)
    out.push(
      `CLI: 'node podsmith.js --version' takes ${f1(cli.podsmith)} ms against ${f1(cli.node)} ms for 'node -e 0': ${f1(cli.podsmith - cli.node)} ms of loading the ${cli.bundleKiB} KiB bundle, paid twice per pod (run, rm). Load the daemon client path without the linter/schema code (lazy require per command, or a separate small entry for pod commands).`,
    );
  return out;
}
