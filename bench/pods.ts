// Scenario (e), pods: a pod of 2 long-running app containers (+ the pause container) brought to Running and
// deleted, side by side in one script, same busybox image, same runc (cgroupfs), rows alternating order each
// round (forward on even rounds, reversed on odd ones):
//
//   Podsmith engine      createNativeRuntime({ home, ociRuntime: 'runc' }) in this process: runPod, then
//                        deletePod({ force: true }); a second row deletes gracefully (deletePod without force:
//                        SIGTERM, the containers trap it and exit at once).
//   Podsmith daemon      the CLI's client (engine/client connectDaemon) over the daemon's unix socket, the
//                        daemon started once, untimed: RunPod + DeletePod(force) requests. This is the engine as
//                        users reach it, without the cost of starting a Node process per command.
//   Podsmith CLI         `node podsmith.js run -q --oci-runtime runc -f FILE` + `rm -f bench-pod`, against the
//                        same daemon: what a user typing the commands waits for (two Node start-ups included),
//                        with the CLI's V8 code cache (in the bench's temp dir; the warm-up rounds write it), and
//                        again without it (PODSMITH_NO_COMPILE_CACHE=1: a first run after an install or upgrade).
//   podman               `podman kube play --network none FILE` + `podman kube down FILE`, runc, cgroupfs,
//                        storage/runroot/tmp/network config all under the bench's temp dir, image loaded from
//                        the same OCI layout (`podman pull oci:DIR`, tagged with the name the manifest uses).
//   runc floor           bare runc calls doing the same work: pause (catatonit -P, new net/ipc/uts) created and
//                        started, then the 2 app containers joining its namespaces by /proc/PID/ns paths
//                        (create + start each, detached, --pid-file, both in parallel as Podsmith does); then
//                        kill + delete of all three. Bundles are written before the clock starts (one shared
//                        read-only rootfs); only the app configs' pause pid is filled in while timed.
//   runc floor + seccomp the same, with the seccomp profiles Podsmith gives its app containers and its pause
//                        (runc's default spec has none; runc 1.1 spends tens of ms per container on one):
//                        what the floor costs when it keeps the guarantee the engine keeps. Reported beside.
//
// Every row's pod is checked after each up (Podsmith: phase Running and every container running; podman: 3
// running containers; floor: the apps share the pause container's network namespace), untimed. Nothing is
// enforced on performance: the aims (Podsmith ≤ 0.5× podman; ≤ 1.5× the runc floor, the CLI rows ≤ 2.5×) are
// reported met or not.
// When the engine or the daemon misses an aim (or with --profile), ./pods-profile.ts breaks the engine's time
// down: the real runtime's child processes (spawn to exit), the stretches with none running, its fs calls.
//
// Run alone: node --import tsx bench/pods.ts [--profile|--no-profile]   (the table on stdout, then the JSON result)
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { connectDaemon } from '../engine/client/connect';
import type { DaemonClient } from '../engine/client/daemon-client';
import { loadImage } from '../engine/image/load';
import { openStore } from '../engine/image/store';
import { buildBundleConfig, type BundleInput } from '../engine/image/bundle';
import { createNativeRuntime, type NativeRuntime } from '../engine/pods/native';
import type { PodStatus } from '../engine/pods/types';
import { cgroupMounts } from '../engine/runtime/cgroups';
import { hostFacts } from '../engine/runtime/host-facts';
import { pauseBundleInput } from '../engine/runtime/pause';
import { buildBusyboxLayout, IMAGE, whyNoNativePods } from '../test/pods/fixtures';
import { LeakTracker } from '../test/support/leaks';
import { profilePodsmith, type PodsProfile } from './pods-profile';
import { summarize, type Stats } from './stats';

export const PODS_PLAN = { warmup: 2, runs: 10 };
const AIM_PODMAN_RATIO = 0.5;
/** Per row, against the floor with the default seccomp profile: the CLI pays two Node start-ups per pod, which the engine and the daemon rows do not. */
const AIM_FLOOR_RATIO: Partial<Record<RowId, number>> = { engine: 1.15, engineGraceful: 1.15, daemon: 1.15, cli: 2.5, cliNoCache: 2.5 };
const POD_NAME = 'bench-pod';
const ROOT = resolve(__dirname, '..');
/** What both app containers run: long-running, and a SIGTERM ends it at once (so a graceful stop costs no grace period). */
const APP_COMMAND = ['sh', '-c', "trap 'exit 0' TERM; sleep 3600 & wait"];

type RowId = 'engine' | 'engineGraceful' | 'daemon' | 'cli' | 'cliNoCache' | 'podman' | 'floor' | 'floorSeccomp';
const ROWS: RowId[] = ['engine', 'engineGraceful', 'daemon', 'cli', 'cliNoCache', 'podman', 'floor', 'floorSeccomp'];
const PODSMITH_ROWS: RowId[] = ['engine', 'engineGraceful', 'daemon', 'cli', 'cliNoCache'];
const LABELS: Record<RowId, string> = {
  engine: 'Podsmith engine (in process, delete --force)',
  engineGraceful: 'Podsmith engine (in process, graceful delete)',
  daemon: 'Podsmith daemon (client RPC, delete --force)',
  cli: 'Podsmith CLI (run -f + rm -f, 2 node starts)',
  cliNoCache: 'Podsmith CLI, no V8 code cache',
  podman: 'podman kube play + kube down',
  floor: 'runc floor (bare runc calls)',
  floorSeccomp: 'runc floor + the default seccomp profile',
};

interface Sample {
  up: number;
  down: number;
  /** The floor's steps, ms. */
  parts?: FloorParts;
}

export interface FloorParts {
  pauseCreate: number;
  pauseStart: number;
  /** Both apps' create + start, in parallel (wall). */
  apps: number;
  /** runc kill of the three, in parallel (wall). */
  kill: number;
  /** runc delete --force of the three, in parallel (wall). */
  delete: number;
}

export interface RowResult {
  label: string;
  total: Stats;
  up: Stats;
  down: Stats;
}

function log(s: string): void {
  process.stderr.write(s + '\n');
}

// ---------------------------------------------------------------------------------------------------------
// Child processes

interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a program (no shell) and collects its output; `stdio` as fds for programs whose children keep them. */
function run(cmd: string, args: string[], o: { env?: NodeJS.ProcessEnv; fd?: number } = {}): Promise<Ran> {
  return new Promise((res, rej) => {
    const child = spawn(cmd, args, { stdio: o.fd === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', o.fd, o.fd], env: o.env ?? process.env });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', rej);
    // With fds the container may keep them: 'exit' (the program's end) is what counts, not 'close'.
    child.on(o.fd === undefined ? 'close' : 'exit', (code: number | null, signal: NodeJS.Signals | null) => res({ code, signal, stdout, stderr }));
  });
}

async function must(cmd: string, args: string[], o: { env?: NodeJS.ProcessEnv; fd?: number; what?: string } = {}): Promise<Ran> {
  const r = await run(cmd, args, o);
  if (r.code !== 0) {
    const name = o.what ?? `${cmd.split('/').pop()} ${args.filter((a) => !a.startsWith('/')).slice(0, 4).join(' ')}`;
    throw new Error(`${name} failed (${r.signal ?? `exit ${r.code}`}): ${(r.stderr || r.stdout).trim().slice(-2000)}`);
  }
  return r;
}

function version(cmd: string, args = ['--version']): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim().split('\n')[0] : `${cmd} (version unknown)`;
}

function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// The pod, as one manifest file read by Podsmith and podman alike

function podYaml(): string {
  const container = (name: string) =>
    [`  - name: ${name}`, `    image: ${IMAGE}`, '    imagePullPolicy: IfNotPresent', `    command: ${JSON.stringify(APP_COMMAND)}`].join('\n');
  // Loopback only for Podsmith too (podman runs with --network none; the floor makes no network either).
  return ['apiVersion: v1', 'kind: Pod', 'metadata:', `  name: ${POD_NAME}`, '  annotations:', '    podsmith.io/network: none', 'spec:', '  containers:', container('app-a'), container('app-b'), ''].join('\n');
}

function checkPodsmithStatus(s: PodStatus, row: RowId): void {
  const bad = s.containerStatuses.filter((c) => !c.state.running);
  if (s.phase !== 'Running' || s.containerStatuses.length !== 2 || bad.length)
    throw new Error(`${LABELS[row]}: pod is ${s.phase} with ${s.containerStatuses.map((c) => `${c.name}=${Object.keys(c.state)[0]}`).join(', ')}`);
}

// ---------------------------------------------------------------------------------------------------------
// Everything the bench makes lives below one temp dir; this tracks what must be undone even on Ctrl-C.

interface World {
  /** /tmp/podsmith-bench-pods-<hex>: lower case, as podman derives an image name from an oci: path. */
  root: string;
  yamlPath: string;
  manifest: string;
  engineHome: string;
  daemonHome: string;
  cli: { path: string; env: NodeJS.ProcessEnv; note: string };
  runtime?: NativeRuntime;
  client?: DaemonClient;
  daemonPid?: number;
  leaks: { engine: LeakTracker; daemon: LeakTracker };
  podman: Podman;
  floor?: Floor;
  /** libpod_parent did not exist before: remove it at the end when empty. */
  libpodParentOurs: boolean;
}

interface Podman {
  bin: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Pod ids kube play printed (their cgroups must be gone at the end). */
  podIds: Set<string>;
}

interface Floor {
  runc: string;
  state: string;
  rootfs: string;
  bundles: { pause: string; a: string; b: string };
  prefix: string;
  /** Apps' config.json text with @PAUSE_PID@ and @CGROUP@ still to fill in. */
  appConfig: string;
  pauseConfig: string;
  /** The same with Podsmith's seccomp profiles (an app container's, the pause's). */
  appConfigSeccomp: string;
  pauseConfigSeccomp: string;
  logFd: number;
  /** Cgroup paths the floor's containers used. */
  cgroups: Set<string>;
}

function makeRoot(): string {
  const root = join(tmpdir(), `podsmith-bench-pods-${randomBytes(5).toString('hex')}`);
  mkdirSync(root, { mode: 0o700 });
  return root;
}

/** The CLI's files: the entry and the two bundles it loads (scripts/build.mjs). */
const CLI_FILES = ['podsmith.js', 'podsmith-pods.js', 'podsmith-engine.js'];

/**
 * The CLI users run: dist/podsmith.js when its files are at least as new as the engine sources (as after `npm
 * run bench`, which builds first), else a private build of the current sources in the temp dir (dist
 * untouched). Its V8 code cache lives in the temp dir too (the warm-up rounds write it, as a user's first run).
 */
async function cliEntry(root: string): Promise<World['cli']> {
  const newest = (dir: string): number => {
    let m = 0;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) m = Math.max(m, newest(p));
      else if (e.name.endsWith('.ts')) m = Math.max(m, statSync(p).mtimeMs);
    }
    return m;
  };
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_CACHE_HOME: join(root, 'cache') };
  delete env.PODSMITH_NO_COMPILE_CACHE;
  const dist = join(ROOT, 'dist');
  const built = CLI_FILES.map((f) => join(dist, f));
  if (built.every(existsSync) && Math.min(...built.map((f) => statSync(f).mtimeMs)) >= newest(join(ROOT, 'engine'))) {
    return { path: built[0], env, note: 'dist/podsmith.js' };
  }
  const out = join(root, 'cli');
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--only', 'cli', '--outdir', out], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building the CLI failed: ${r.stderr}`);
  return {
    path: join(out, 'podsmith.js'),
    env: { ...env, NODE_PATH: join(ROOT, 'node_modules') },
    note: 'a private build of the current sources (dist/ is older than engine/; `npm run bench` rebuilds it)',
  };
}

async function setupPodman(root: string): Promise<Podman> {
  const dir = join(root, 'podman');
  for (const d of ['root', 'runroot', 'tmp', 'networks', 'events']) mkdirSync(join(dir, d), { recursive: true, mode: 0o700 });
  const conf = join(dir, 'containers.conf');
  writeFileSync(
    conf,
    [
      '[containers]',
      'default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]',
      '[engine]',
      'cgroup_manager = "cgroupfs"',
      'events_logger = "file"',
      `events_logfile_path = "${join(dir, 'events', 'events.log')}"`,
      `tmp_dir = "${join(dir, 'tmp')}"`,
      'runtime = "runc"',
      '[network]',
      // `system reset` removes every network of this directory: never the host's.
      `network_config_dir = "${join(dir, 'networks')}"`,
      '',
    ].join('\n'),
  );
  const bin = which('podman') ?? 'podman';
  return {
    bin,
    args: ['--root', join(dir, 'root'), '--runroot', join(dir, 'runroot'), '--runtime', 'runc', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file', '--storage-driver', 'overlay'],
    env: { ...process.env, CONTAINERS_CONF: conf },
    podIds: new Set(),
  };
}

function podman(p: Podman, args: string[]): Promise<Ran> {
  return must(p.bin, [...p.args, ...args], { env: p.env, what: `podman ${args.slice(0, 2).join(' ')}` });
}

/** The busybox layer of the layout, unpacked once for the floor (read-only rootfs shared by all its containers). */
function setupFloor(root: string, layout: string, runcPath: string): Floor {
  const dir = join(root, 'floor');
  const rootfs = join(dir, 'rootfs');
  mkdirSync(rootfs, { recursive: true });
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
  const blob = (d: string) => join(layout, 'blobs', 'sha256', d.replace(/^sha256:/, ''));
  const manifest = JSON.parse(readFileSync(blob(index.manifests[0].digest), 'utf8')) as { layers: { digest: string }[] };
  for (const l of manifest.layers) {
    const r = spawnSync('tar', ['-xzf', blob(l.digest), '-C', rootfs]);
    if (r.status !== 0) throw new Error(`cannot unpack the busybox layer for the floor: ${r.stderr}`);
  }
  copyFileSync(which('catatonit') ?? '/usr/bin/catatonit', join(rootfs, 'catatonit'));
  for (const d of ['proc', 'dev', 'sys']) mkdirSync(join(rootfs, d), { recursive: true });

  // runc's own default spec, adjusted: what a hand-written runc script would start from.
  const specDir = join(dir, 'spec');
  mkdirSync(specDir);
  const r = spawnSync(runcPath, ['spec', '--bundle', specDir]);
  if (r.status !== 0) throw new Error(`runc spec failed: ${r.stderr}`);
  const base = JSON.parse(readFileSync(join(specDir, 'config.json'), 'utf8')) as {
    process: { terminal: boolean; args: string[] };
    root: { path: string; readonly: boolean };
    hostname?: string;
    linux: { namespaces: { type: string; path?: string }[]; cgroupsPath?: string };
  };
  base.process.terminal = false;
  base.root = { path: rootfs, readonly: true };
  const pause = structuredClone(base);
  pause.process.args = ['/catatonit', '-P'];
  pause.hostname = POD_NAME;
  pause.linux.cgroupsPath = '@CGROUP@';
  const app = structuredClone(base);
  app.process.args = APP_COMMAND;
  delete app.hostname;
  app.linux.namespaces = app.linux.namespaces.map((n) =>
    ['network', 'ipc', 'uts'].includes(n.type) ? { type: n.type, path: `/proc/@PAUSE_PID@/ns/${n.type === 'network' ? 'net' : n.type}` } : n,
  );
  app.linux.cgroupsPath = '@CGROUP@';
  const bundles = { pause: join(dir, 'pause'), a: join(dir, 'app-a'), b: join(dir, 'app-b') };
  for (const b of Object.values(bundles)) mkdirSync(b);
  const state = join(dir, 'state');
  mkdirSync(state, { mode: 0o700 });
  return {
    runc: runcPath,
    state,
    rootfs,
    bundles,
    prefix: `pbf-${randomBytes(4).toString('hex')}`,
    appConfig: JSON.stringify(app),
    pauseConfig: JSON.stringify(pause),
    appConfigSeccomp: JSON.stringify({ ...app, linux: { ...app.linux, seccomp: engineSeccomp(rootfs, 'app') } }),
    pauseConfigSeccomp: JSON.stringify({ ...pause, linux: { ...pause.linux, seccomp: engineSeccomp(rootfs, 'pause') } }),
    logFd: openSync(join(dir, 'runc.log'), 'a'),
    cgroups: new Set(),
  };
}

/** The seccomp profile Podsmith's bundle builder gives a plain app container (default capabilities), or its pause. */
function engineSeccomp(rootfs: string, kind: 'app' | 'pause'): unknown {
  const pod = { name: POD_NAME, namespace: 'default', uid: 'bench' };
  const facts = hostFacts();
  const input: BundleInput =
    kind === 'pause'
      ? pauseBundleInput({ pod, rootfs, cgroupsPath: '/bench' })
      : { image: { config: {} }, container: { name: 'app-a', image: IMAGE, command: APP_COMMAND }, pod, rootfs: { path: rootfs }, cgroupsPath: '/bench', rlimitCeilings: facts.rlimitCeilings, allCapabilities: facts.allCapabilities };
  const seccomp = buildBundleConfig(input).config.linux?.seccomp;
  if (!seccomp) throw new Error(`Podsmith's ${kind} config has no seccomp profile`);
  return seccomp;
}

function runc(f: Floor, args: string[]): Promise<Ran> {
  return must(f.runc, ['--root', f.state, ...args], { fd: f.logFd, what: `runc ${args[0]}` }).catch((err: Error) => {
    throw new Error(`${err.message}${tail(join(f.state, '..', 'runc.log'))}`);
  });
}

function tail(path: string): string {
  try {
    return '\n  ' + readFileSync(path, 'utf8').trimEnd().split('\n').slice(-5).join('\n  ');
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------------------------------------------------
// One pod up and down, per row

/**
 * Until each app container's shell has forked its `sleep` (so its TERM trap is set): a SIGTERM that reaches a
 * pid-namespace init before it installs a handler is ignored, and the graceful stop would wait out the grace
 * period. Untimed; reads the pod record for the containers' pids.
 */
async function untilTrapsSet(home: string, uid: string): Promise<void> {
  const record = JSON.parse(readFileSync(join(home, 'pods', uid, 'pod.json'), 'utf8')) as { containers: { name: string; process?: { pid: number } }[] };
  const deadline = Date.now() + 10_000;
  for (const c of record.containers) {
    const pid = c.process?.pid;
    if (!pid) throw new Error(`no pid recorded for container ${c.name}`);
    for (;;) {
      let children = '';
      try {
        children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
      } catch {
        return; // no /proc/PID/task/PID/children here (CONFIG_PROC_CHILDREN): nothing to wait on
      }
      if (children) break;
      if (Date.now() > deadline) throw new Error(`container ${c.name}: its shell did not start sleep within 10 s`);
      await new Promise((r) => setTimeout(r, 2));
    }
  }
}

async function engineRound(w: World, force: boolean): Promise<Sample> {
  const rt = w.runtime!;
  const t0 = performance.now();
  const status = await rt.runPod({ manifest: w.manifest, fileName: w.yamlPath });
  const t1 = performance.now();
  checkPodsmithStatus(status, force ? 'engine' : 'engineGraceful');
  if (!force) await untilTrapsSet(w.engineHome, status.uid);
  const t2 = performance.now();
  await rt.deletePod({ pod: POD_NAME, force });
  const t3 = performance.now();
  return { up: t1 - t0, down: t3 - t2 };
}

async function daemonRound(w: World): Promise<Sample> {
  const c = w.client!;
  const t0 = performance.now();
  const status = await c.runPod({ manifest: w.manifest, fileName: w.yamlPath, ociRuntime: 'runc' });
  const t1 = performance.now();
  checkPodsmithStatus(status, 'daemon');
  w.leaks.daemon.uids.add(status.uid);
  const t2 = performance.now();
  await c.deletePod({ pod: POD_NAME, force: true });
  const t3 = performance.now();
  return { up: t1 - t0, down: t3 - t2 };
}

async function cliRound(w: World, codeCache: boolean): Promise<Sample> {
  const env = { ...w.cli.env, PODSMITH_HOME: w.daemonHome, ...(codeCache ? {} : { PODSMITH_NO_COMPILE_CACHE: '1' }) };
  const t0 = performance.now();
  const up = await must(process.execPath, [w.cli.path, 'run', '-q', '--oci-runtime', 'runc', '-f', w.yamlPath], { env, what: 'podsmith run' });
  const t1 = performance.now();
  if (!up.stdout.includes(`pod/${POD_NAME}`)) throw new Error(`podsmith run printed no pod/${POD_NAME}: ${up.stdout}${up.stderr}`);
  const status = await w.client!.getPod(POD_NAME);
  checkPodsmithStatus(status, 'cli');
  w.leaks.daemon.uids.add(status.uid);
  const t2 = performance.now();
  await must(process.execPath, [w.cli.path, 'rm', '-f', POD_NAME], { env, what: 'podsmith rm' });
  const t3 = performance.now();
  return { up: t1 - t0, down: t3 - t2 };
}

async function podmanRound(w: World): Promise<Sample> {
  const p = w.podman;
  const t0 = performance.now();
  const up = await podman(p, ['kube', 'play', '--network', 'none', w.yamlPath]);
  const t1 = performance.now();
  const id = /^Pod:\s*\n([0-9a-f]{64})/m.exec(up.stdout)?.[1];
  if (id) p.podIds.add(id);
  // podman 4.3 prints the state as `Up 2 seconds ago`.
  const ps = await podman(p, ['ps', '--filter', `pod=${POD_NAME}`, '--format', '{{.State}}']);
  const states = ps.stdout.trim().split('\n');
  if (states.length !== 3 || states.some((s) => !/^(running|Up\b)/.test(s))) throw new Error(`podman: expected 3 running containers, got ${JSON.stringify(states)}`);
  const t2 = performance.now();
  await podman(p, ['kube', 'down', w.yamlPath]);
  const t3 = performance.now();
  return { up: t1 - t0, down: t3 - t2 };
}

async function floorRound(w: World, round: number, seccomp = false): Promise<Sample> {
  const f = w.floor!;
  const pauseConfig = seccomp ? f.pauseConfigSeccomp : f.pauseConfig;
  const appConfig = seccomp ? f.appConfigSeccomp : f.appConfig;
  if (seccomp) round += 500;
  const id = (n: string) => `${f.prefix}-r${round}-${n}`;
  const cgroup = (n: string) => {
    const c = `/${f.prefix}-r${round}-${n}`;
    f.cgroups.add(c);
    return c;
  };
  const ids = [id('pause'), id('app-a'), id('app-b')];
  // Untimed: the pause bundle (its cgroup differs per round) and the stale pid files.
  writeFileSync(join(f.bundles.pause, 'config.json'), pauseConfig.replace('@CGROUP@', cgroup('pause')));
  const apps = [
    { id: ids[1], bundle: f.bundles.a, cg: cgroup('app-a') },
    { id: ids[2], bundle: f.bundles.b, cg: cgroup('app-b') },
  ];
  const pausePidFile = join(f.bundles.pause, 'pid');

  const t0 = performance.now();
  await runc(f, ['create', '--bundle', f.bundles.pause, '--pid-file', pausePidFile, ids[0]]);
  const tCreated = performance.now();
  await runc(f, ['start', ids[0]]);
  const tStarted = performance.now();
  const pausePid = readFileSync(pausePidFile, 'utf8').trim();
  await Promise.all(
    apps.map(async (a) => {
      writeFileSync(join(a.bundle, 'config.json'), appConfig.replace(/@PAUSE_PID@/g, pausePid).replace('@CGROUP@', a.cg));
      await runc(f, ['create', '--bundle', a.bundle, '--pid-file', join(a.bundle, 'pid'), a.id]);
      await runc(f, ['start', a.id]);
    }),
  );
  const t1 = performance.now();
  const net = (pid: string) => readlinkSync(`/proc/${pid}/ns/net`);
  for (const a of apps) {
    const pid = readFileSync(join(a.bundle, 'pid'), 'utf8').trim();
    if (net(pid) !== net(pausePid)) throw new Error(`floor: ${a.id} is not in the pause container's network namespace`);
  }
  const t2 = performance.now();
  await Promise.all(ids.map((x) => runc(f, ['kill', x, 'KILL'])));
  const tKilled = performance.now();
  await Promise.all(ids.map((x) => runc(f, ['delete', '--force', x])));
  const t3 = performance.now();
  return { up: t1 - t0, down: t3 - t2, parts: { pauseCreate: tCreated - t0, pauseStart: tStarted - tCreated, apps: t1 - tStarted, kill: tKilled - t2, delete: t3 - tKilled } };
}

function roundOf(w: World, row: RowId, round: number): Promise<Sample> {
  switch (row) {
    case 'engine':
      return engineRound(w, true);
    case 'engineGraceful':
      return engineRound(w, false);
    case 'daemon':
      return daemonRound(w);
    case 'cli':
      return cliRound(w, true);
    case 'cliNoCache':
      return cliRound(w, false);
    case 'podman':
      return podmanRound(w);
    case 'floor':
      return floorRound(w, round);
    case 'floorSeccomp':
      return floorRound(w, round, true);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Clean-up and the check that nothing is left

function mountsUnder(root: string): string[] {
  const out: string[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const point = line.split(' ')[4];
    if (point && (point === root || point.startsWith(root + '/'))) out.push(point.replace(/\\040/g, ' '));
  }
  return out;
}

/** Processes whose command line names the bench's temp dir (conmon, runc, podman, the daemon), zombies excluded. */
function processesUnder(root: string): { pid: number; text: string }[] {
  const out: { pid: number; text: string }[] = [];
  for (const n of readdirSync('/proc')) {
    if (!/^\d+$/.test(n) || Number(n) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${n}/stat`, 'utf8');
      if (/ [ZX] /.test(stat.slice(stat.lastIndexOf(')')))) continue;
      const text = readFileSync(`/proc/${n}/cmdline`, 'utf8').split('\0').join(' ');
      if (text.includes(root)) out.push({ pid: Number(n), text: text.slice(0, 160) });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/ [ZX] /.test(stat.slice(stat.lastIndexOf(')')));
  } catch {
    return false;
  }
}

/** Cgroup directories (any hierarchy) of the floor's containers and podman's pods that still exist. */
function leftoverCgroups(w: World): string[] {
  const out: string[] = [];
  for (const m of cgroupMounts()) {
    if (m.root !== '/') continue;
    for (const c of w.floor?.cgroups ?? []) if (existsSync(join(m.path, c))) out.push(join(m.path, c));
    for (const id of w.podman.podIds) if (existsSync(join(m.path, 'libpod_parent', id))) out.push(join(m.path, 'libpod_parent', id));
  }
  return out;
}

/** Empty cgroup directories are removed (children first); ones with processes are reported. */
function removeCgroupDir(dir: string): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) removeCgroupDir(join(dir, e.name));
  try {
    rmdirSync(dir);
  } catch {
    // busy: reported by the caller's check
  }
}

/**
 * Synchronous sweep of whatever is left, for the normal end (after the orderly clean-up) and for an
 * interrupted run ('exit' handlers cannot wait): runc containers of every state dir under the temp dir,
 * processes naming it (by pid: only what this bench started), podman's storage, mounts, then the files.
 */
function sweepSync(w: World): void {
  const runcBin = w.floor?.runc ?? 'runc';
  const runcStates = [join(w.root, 'floor', 'state'), join(w.engineHome, 'runtime', 'runc'), join(w.daemonHome, 'runtime', 'runc')];
  for (const state of runcStates) {
    const r = spawnSync(runcBin, ['--root', state, 'list', '-q'], { encoding: 'utf8' });
    for (const id of r.status === 0 ? r.stdout.split('\n').filter(Boolean) : []) spawnSync(runcBin, ['--root', state, 'delete', '--force', id], { stdio: 'ignore' });
  }
  if (w.daemonPid && alive(w.daemonPid)) process.kill(w.daemonPid, 'SIGKILL');
  for (const p of processesUnder(w.root)) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  if (existsSync(join(w.root, 'podman', 'root')))
    spawnSync(w.podman.bin, [...w.podman.args, 'system', 'reset', '-f'], { env: w.podman.env, stdio: 'ignore', timeout: 60_000 });
  for (const m of mountsUnder(w.root).reverse()) spawnSync('umount', ['-l', m], { stdio: 'ignore' });
  for (const c of leftoverCgroups(w)) removeCgroupDir(c);
  // Podsmith pods of an interrupted round (a pod directory exists before any of its cgroups): their cgroups;
  // the processes were killed above (runc delete --force, conmons by pid).
  const uids = new Set([...w.leaks.engine.uids, ...w.leaks.daemon.uids]);
  for (const home of [w.engineHome, w.daemonHome]) for (const uid of existsSync(join(home, 'pods')) ? readdirSync(join(home, 'pods')) : []) uids.add(uid);
  for (const m of cgroupMounts()) if (m.root === '/') for (const uid of uids) if (existsSync(join(m.path, 'podsmith', uid))) removeCgroupDir(join(m.path, 'podsmith', uid));
  if (w.libpodParentOurs) for (const m of cgroupMounts()) if (m.root === '/' && existsSync(join(m.path, 'libpod_parent'))) removeCgroupDir(join(m.path, 'libpod_parent'));
  if (mountsUnder(w.root).length === 0) spawnSync('rm', ['-rf', '--one-file-system', w.root], { stdio: 'ignore' });
}

interface CleanUpReport {
  /** Left by the tools and removed by the bench's sweep (podman leaves its pods' cgroups in name=systemd and unified). */
  swept: string[];
  /** Still there after everything: the bench's own failure to clean up. */
  leftovers: string[];
}

async function cleanUp(w: World): Promise<CleanUpReport> {
  const swept: string[] = [];
  const attempt = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (err) {
      swept.push(`${what}: ${(err as Error).message}`);
    }
  };
  // Podsmith, in process: any pod left (an interrupted round), then the supervisor.
  if (w.runtime) {
    const rt = w.runtime;
    await attempt('engine pods', async () => {
      for (const p of await rt.listPods()) await rt.deletePod({ pod: p.uid, force: true });
    });
    await attempt('engine close', () => rt.close());
  }
  // The daemon: its pods, then shut it down and see it go.
  if (w.client) {
    const c = w.client;
    await attempt('daemon pods', async () => {
      for (const p of await c.listPods()) await c.deletePod({ pod: p.uid, force: true });
    });
    await attempt('daemon shutdown', () => c.shutdown());
    c.close();
    const deadline = Date.now() + 15_000;
    while (w.daemonPid && alive(w.daemonPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (w.daemonPid && alive(w.daemonPid)) swept.push(`daemon pid ${w.daemonPid} still running after shutdown`);
  }
  for (const [name, leaks] of Object.entries(w.leaks)) for (const l of await leaks.check()) swept.push(`Podsmith ${name} home: ${l}`);
  // podman: a pod left by an interrupted round, then the whole store (overlay mounts included).
  await attempt('podman kube down', async () => {
    const ps = await podman(w.podman, ['pod', 'ps', '-q']);
    if (ps.stdout.trim()) await podman(w.podman, ['kube', 'down', w.yamlPath]);
  });
  await attempt('podman system reset', () => podman(w.podman, ['system', 'reset', '-f']));
  // The floor: containers an interrupted round left.
  if (w.floor) {
    const f = w.floor;
    await attempt('floor containers', async () => {
      const ls = await must(f.runc, ['--root', f.state, 'list', '-q']);
      for (const id of ls.stdout.split('\n').filter(Boolean)) {
        swept.push(`floor container ${id} was left running`);
        await must(f.runc, ['--root', f.state, 'delete', '--force', id]);
      }
    });
    closeSync(f.logFd);
  }

  // What the orderly part missed is noted, then swept.
  for (const p of processesUnder(w.root)) swept.push(`process ${p.pid}: ${p.text}`);
  for (const m of mountsUnder(w.root)) swept.push(`mount ${m}`);
  for (const c of leftoverCgroups(w)) swept.push(`cgroup ${c}`);
  sweepSync(w);

  // The final word, after the sweep: `ps` and `mount` must show nothing of ours.
  const leftovers: string[] = [];
  const ps = spawnSync('ps', ['-eo', 'pid,stat,args'], { encoding: 'utf8' }).stdout.split('\n');
  const floorPrefix = w.floor?.prefix ?? w.root;
  for (const l of ps.filter((x) => x.includes(w.root) || x.includes(floorPrefix))) leftovers.push(`ps: ${l.trim().slice(0, 160)}`);
  const mount = spawnSync('mount', [], { encoding: 'utf8' }).stdout.split('\n');
  for (const l of mount.filter((x) => x.includes(w.root))) leftovers.push(`mount: ${l.trim().slice(0, 160)}`);
  for (const c of leftoverCgroups(w)) leftovers.push(`cgroup ${c}`);
  if (w.daemonPid && alive(w.daemonPid)) leftovers.push(`daemon pid ${w.daemonPid}`);
  if (existsSync(w.root)) leftovers.push(`${w.root} could not be removed`);
  return { swept, leftovers };
}

// ---------------------------------------------------------------------------------------------------------
// Report

function fmt(ms: number): string {
  return ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0);
}

function table(rows: Record<RowId, RowResult>, ratioOf: (r: RowId, base: RowId) => number): string {
  const head = ['', 'up p50', 'down p50', 'total p50', 'total p95', '÷ podman', '÷ floor'];
  const lines = [head];
  for (const id of ROWS) {
    const r = rows[id];
    const isPodsmith = PODSMITH_ROWS.includes(id);
    lines.push([
      r.label,
      fmt(r.up.p50),
      fmt(r.down.p50),
      fmt(r.total.p50),
      fmt(r.total.p95),
      isPodsmith || id === 'floor' || id === 'floorSeccomp' ? `${ratioOf(id, 'podman').toFixed(2)}×` : '',
      isPodsmith || id === 'podman' || id === 'floorSeccomp' ? `${ratioOf(id, 'floor').toFixed(2)}×` : '',
    ]);
  }
  return lines.map((l) => `  ${l[0].padEnd(48)}${l.slice(1).map((c) => c.padStart(10)).join('')}`).join('\n');
}

// ---------------------------------------------------------------------------------------------------------

export interface PodsBenchResult {
  date: string;
  skipped?: string;
  environment?: Record<string, unknown>;
  plan?: typeof PODS_PLAN;
  pod?: string;
  rows?: Record<RowId, RowResult>;
  /** p50 and p95 of the totals: row ÷ podman and row ÷ floor. */
  ratios?: Record<string, { p50: number; p95: number }>;
  aims?: { aim: string; row: string; value: number; met: boolean }[];
  /** p50 of the floor's steps. */
  floorParts?: FloorParts;
  samples?: Record<RowId, Sample[]>;
  profile?: PodsProfile;
  notes?: string[];
  /** What the tools left and the bench's sweep removed (podman's pod cgroups in name=systemd and unified). */
  swept?: string[];
  /** What is still there after the clean-up: empty when the bench cleaned up after itself. */
  leftovers?: string[];
  totalSeconds?: number;
}

export interface PodsBenchOptions {
  /** Break the engine's time down (./pods-profile.ts): `auto` (default) when the engine or the daemon misses an aim. */
  profile?: 'auto' | 'always' | 'never';
}

export async function runPodsBench(options: PodsBenchOptions = {}): Promise<PodsBenchResult> {
  const started = Date.now();
  const date = new Date().toISOString();
  const why = whyNoNativePods() ?? (which('podman') ? undefined : 'podman is not installed (apt-get install podman): it is the peer measured against');
  if (why) {
    log(`pods bench skipped: ${why}`);
    return { date, skipped: why };
  }
  const runcPath = which('runc') ?? '/usr/sbin/runc';
  const root = makeRoot();
  const manifest = podYaml();
  const yamlPath = join(root, 'pod.yaml');
  writeFileSync(yamlPath, manifest);
  const layout = join(root, 'layout');
  const engineHome = join(root, 'engine-home');
  const daemonHome = join(root, 'daemon-home');
  const libpodParentOurs = !cgroupMounts().some((m) => m.root === '/' && existsSync(join(m.path, 'libpod_parent')));
  const podmanSetup = await setupPodman(root);
  const w: World = {
    root,
    yamlPath,
    manifest,
    engineHome,
    daemonHome,
    cli: { path: '', env: process.env, note: '' },
    leaks: { engine: new LeakTracker(engineHome), daemon: new LeakTracker(daemonHome) },
    podman: podmanSetup,
    libpodParentOurs,
  };
  let interrupted = false;
  const onExit = () => sweepSync(w);
  const onSignal = () => {
    interrupted = true;
    log('interrupted: cleaning up');
    sweepSync(w);
    process.exit(130);
  };
  process.on('exit', onExit);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const notes: string[] = [];
  const samples = Object.fromEntries(ROWS.map((r) => [r, [] as Sample[]])) as unknown as Record<RowId, Sample[]>;
  let result: PodsBenchResult = { date };
  let report: CleanUpReport = { swept: [], leftovers: [] };
  try {
    log('pods: building the busybox image (OCI layout) and loading it into Podsmith and podman ...');
    await buildBusyboxLayout(layout);
    for (const home of [engineHome, daemonHome]) await loadImage(await openStore(home), layout, { name: IMAGE });
    w.floor = setupFloor(root, layout, runcPath);
    const pulled = (await podman(w.podman, ['pull', '-q', `oci:${layout}`])).stdout.trim().split('\n').pop()!;
    await podman(w.podman, ['tag', pulled, IMAGE]);
    w.cli = await cliEntry(root);
    log(`pods: CLI ${w.cli.note}`);

    w.runtime = createNativeRuntime({ home: engineHome, ociRuntime: 'runc' });
    w.leaks.engine.track(w.runtime);
    w.client = await connectDaemon({ home: daemonHome, env: { ...w.cli.env, PODSMITH_HOME: daemonHome }, daemonCommand: { command: process.execPath, args: [w.cli.path, 'daemon'] }, clientName: 'bench-pods' });
    w.daemonPid = w.client.info?.pid;

    const total = PODS_PLAN.warmup + PODS_PLAN.runs;
    for (let round = 0; round < total; round++) {
      const order = round % 2 === 0 ? ROWS : [...ROWS].reverse();
      const warm = round < PODS_PLAN.warmup;
      const line: string[] = [];
      for (const row of order) {
        const s = await roundOf(w, row, round);
        if (!warm) samples[row].push(s);
        line.push(`${row} ${fmt(s.up + s.down)}`);
      }
      log(`pods: round ${round + 1}/${total}${warm ? ' (warm-up)' : ''}: ${line.join(', ')} ms`);
    }

    const rows = Object.fromEntries(
      ROWS.map((r) => [r, { label: LABELS[r], total: summarize(samples[r].map((s) => s.up + s.down)), up: summarize(samples[r].map((s) => s.up)), down: summarize(samples[r].map((s) => s.down)) }]),
    ) as Record<RowId, RowResult>;
    const ratio = (r: RowId, base: RowId) => rows[r].total.p50 / rows[base].total.p50;
    const ratios: Record<string, { p50: number; p95: number }> = {};
    for (const r of [...PODSMITH_ROWS, 'floor' as RowId]) ratios[`${r}/podman`] = { p50: ratio(r, 'podman'), p95: rows[r].total.p95 / rows.podman.total.p95 };
    for (const r of [...PODSMITH_ROWS, 'podman' as RowId, 'floorSeccomp' as RowId]) ratios[`${r}/floor`] = { p50: ratio(r, 'floor'), p95: rows[r].total.p95 / rows.floor.total.p95 };
    for (const r of PODSMITH_ROWS) ratios[`${r}/floorSeccomp`] = { p50: ratio(r, 'floorSeccomp'), p95: rows[r].total.p95 / rows.floorSeccomp.total.p95 };
    // podman's kube down is often seconds here (see the note): the up half alone compares the starts.
    for (const r of PODSMITH_ROWS) ratios[`${r}/podman (up only)`] = { p50: rows[r].up.p50 / rows.podman.up.p50, p95: rows[r].up.p95 / rows.podman.up.p95 };
    const aims = PODSMITH_ROWS.flatMap((r) => [
      { aim: `≤ ${AIM_PODMAN_RATIO}× podman (p50)`, row: r, value: ratio(r, 'podman'), met: ratio(r, 'podman') <= AIM_PODMAN_RATIO },
      { aim: `≤ ${AIM_FLOOR_RATIO[r]}× the runc floor (p50)`, row: r, value: ratio(r, 'floor'), met: ratio(r, 'floor') <= AIM_FLOOR_RATIO[r]! },
    ]);

    const partNames: (keyof FloorParts)[] = ['pauseCreate', 'pauseStart', 'apps', 'kill', 'delete'];
    const floorParts = Object.fromEntries(partNames.map((k) => [k, summarize(samples.floor.map((x) => x.parts![k])).p50])) as unknown as FloorParts;
    notes.push(
      `Floor steps (p50 ms): pause create ${fmt(floorParts.pauseCreate)}, pause start ${fmt(floorParts.pauseStart)}, apps create+start in parallel ${fmt(floorParts.apps)}; kill ×3 ${fmt(floorParts.kill)}, delete ×3 ${fmt(floorParts.delete)}.`,
    );
    const podmanDownSlow = samples.podman.filter((s) => s.down > 1500).length;
    if (podmanDownSlow)
      notes.push(
        `podman kube down took over 1.5 s in ${podmanDownSlow} of ${samples.podman.length} runs: podman 4.3 retries removing the pod's cgroup (cgroup v1 rmdir EBUSY) while the containers' conmons still run their 'podman container cleanup' exit commands; that is podman's real cost here, and why its down p50 may be seconds.`,
      );
    notes.push(
      `Up only (run vs kube play, p50): engine ${(rows.engine.up.p50 / rows.podman.up.p50).toFixed(2)}×, daemon ${(rows.daemon.up.p50 / rows.podman.up.p50).toFixed(2)}×, CLI ${(rows.cli.up.p50 / rows.podman.up.p50).toFixed(2)}× podman's.`,
    );
    notes.push(
      `CLI rows: ${w.cli.note}; both Node start-ups (run, rm) are included, the daemon was already running. The first CLI row uses the V8 code cache (engine/cli/compile-cache.ts) the warm-up rounds wrote; the second runs with PODSMITH_NO_COMPILE_CACHE=1, as the first command after an install or upgrade does.`,
    );
    notes.push(
      `Against the floor with the default seccomp profile (every Podsmith container has one; runc's default spec has none), p50: engine ${ratio('engine', 'floorSeccomp').toFixed(2)}×, daemon ${ratio('daemon', 'floorSeccomp').toFixed(2)}×, CLI ${ratio('cli', 'floorSeccomp').toFixed(2)}×; the profile alone makes the floor ${ratio('floorSeccomp', 'floor').toFixed(2)}× slower.`,
    );
    notes.push('Floor: app configs get the pause pid and cgroup written while timed (two small writes); everything else was prepared before. Apps start in parallel, as Podsmith starts them; the floor has no conmon, no logs, no state records.');

    let profile: PodsProfile | undefined;
    const missed = aims.some((a) => !a.met && (a.row === 'engine' || a.row === 'daemon'));
    const mode = options.profile ?? 'auto';
    if (mode === 'always' || (mode === 'auto' && missed)) {
      log(`pods: ${missed ? 'the engine misses an aim; ' : ''}profiling where its time goes (child processes and fs calls of the real runtime, traced) ...`);
      profile = await profilePodsmith({
        home: engineHome,
        manifest,
        fileName: yamlPath,
        runs: 7,
        onUid: (uid) => w.leaks.engine.uids.add(uid),
        floorRound: async (i) => (await floorRound(w, 1000 + i)).parts!,
        cli: { path: w.cli.path, env: { ...w.cli.env, PODSMITH_HOME: daemonHome } },
      });
    }

    const cpu = cpus();
    const environment = {
      node: process.version,
      cpus: cpu.length,
      cpu: cpu[0]?.model.trim(),
      loadavg: loadavg().map((x) => Number(x.toFixed(2))),
      runc: version(runcPath),
      conmon: version(which('conmon') ?? 'conmon'),
      catatonit: version(which('catatonit') ?? 'catatonit'),
      podman: version(w.podman.bin),
      cgroups: cgroupMounts().some((m) => m.version === 2) && cgroupMounts().some((m) => m.version === 1) ? 'hybrid (v1 + unified)' : cgroupMounts().some((m) => m.version === 2) ? 'v2' : 'v1',
      cli: w.cli.note,
    };
    const text = [
      '',
      `Pods: 2 app containers + pause to Running and deleted, ms per pod (${environment.runc}, ${environment.podman}, ${environment.conmon}; node ${process.version}, ${cpu.length} CPUs)`,
      `  ${PODS_PLAN.runs} rounds after ${PODS_PLAN.warmup} warm-up rounds, rows alternating order each round; load average at the end ${environment.loadavg.join(' ')}`,
      table(rows, ratio),
      ...notes.map((n) => `  note: ${n}`),
      '',
      'Aims (p50 of up+down; reported, never enforced):',
      ...aims.map((a) => `  ${a.met ? 'met    ' : 'NOT met'}  ${LABELS[a.row as RowId].split(' (')[0]} (${a.row}) ${a.aim}: ${a.value.toFixed(2)}×`),
      ...(profile ? ['', profile.text] : []),
      '',
    ].join('\n');
    process.stdout.write(text + '\n');
    result = { date, environment, plan: PODS_PLAN, pod: manifest, rows, ratios, aims, floorParts, samples, ...(profile ? { profile } : {}), notes };
  } finally {
    if (!interrupted) {
      log('pods: cleaning up (Podsmith pods and daemon, podman system reset, runc floor, temp dir) ...');
      report = await cleanUp(w).catch((err: Error) => ({ swept: [], leftovers: [`clean-up failed: ${err.message}`] }));
      process.off('exit', onExit);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      // podman leaves every pod's cgroup in the name=systemd and unified hierarchies: one line for those.
      const podmanCgroups = report.swept.filter((l) => /^cgroup .*\/libpod_parent\/[0-9a-f]{64}$/.test(l));
      if (podmanCgroups.length) log(`pods: podman left ${podmanCgroups.length} pod cgroup directories (name=systemd and unified hierarchies); removed`);
      for (const l of report.swept.filter((x) => !podmanCgroups.includes(x))) log(`pods: swept after the orderly clean-up: ${l}`);
      for (const l of report.leftovers) log(`pods: LEFT BEHIND: ${l}`);
      if (!report.leftovers.length) log('pods: clean: no process, mount, cgroup, container or file of the bench is left (ps, mount, runc list, cgroupfs checked)');
    }
  }
  return { ...result, swept: report.swept, leftovers: report.leftovers, totalSeconds: (Date.now() - started) / 1000 };
}

if (require.main === module) {
  const profile = process.argv.includes('--profile') ? 'always' : process.argv.includes('--no-profile') ? 'never' : 'auto';
  runPodsBench({ profile }).then(
    (r) => process.stdout.write(JSON.stringify(r, null, 2) + '\n'),
    (err: Error) => {
      process.stderr.write(`${err.stack ?? err.message}\n`);
      process.exitCode = 1;
    },
  );
}
