// Rootless pods: the same 2-container pod (+ pause), same busybox image, same runc, brought to Running and
// force-deleted, rows alternating order each round (forward on even rounds, reversed on odd ones):
//
//   rootful daemon      root's daemon, through the CLI's client (RunPod + DeletePod force): pods/run's
//                       daemon row.
//   rootless daemon     the test user's daemon (podsmith-test, started as that user: in their user namespace,
//                       no cgroups on this host), through the same client from this process.
//   rootless CLI        `podsmith run -q -f FILE` + `rm -f` typed as that user (runuser + two Node start-ups).
//   podman rootless     `podman kube play --network none` + `kube down` as that user, runc, cgroupfs, its
//                       storage in the bench's temp dir: rootless podman on the same host.
//
// Podsmith's pod carries podsmith.io/network: none (podman's --network none). Each up is checked (phase
// Running, both containers running; podman: 3 running containers), untimed. Nothing is enforced: the table
// and latest.json say what was measured. Needs root (to switch users) and the test user of
// `scripts/setup.sh test`.
//
// Run alone: node --import tsx bench/rootless.ts
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { connectDaemon } from '../engine/client/connect';
import type { DaemonClient } from '../engine/client/daemon-client';
import type { PodStatus } from '../engine/pods/types';
import { buildBusyboxLayout, IMAGE, whyNoNativePods } from '../test/pods/fixtures';
import { testUser, type TestUser } from '../test/rootless/support';
import { LeakTracker } from '../test/support/leaks';
import { summarize, type Stats } from './stats';

export const ROOTLESS_PLAN = { warmup: 2, runs: 10 };
const POD_NAME = 'bench-pod';
const ROOT = resolve(__dirname, '..');
const APP_COMMAND = ['sh', '-c', "trap 'exit 0' TERM; sleep 3600 & wait"];

type RowId = 'rootful' | 'rootless' | 'rootlessCli' | 'podmanRootless';
const ROWS: RowId[] = ['rootful', 'rootless', 'rootlessCli', 'podmanRootless'];
const LABELS: Record<RowId, string> = {
  rootful: 'Podsmith daemon, root (client RPC)',
  rootless: 'Podsmith daemon, rootless (client RPC)',
  rootlessCli: 'Podsmith CLI, rootless (run + rm -f)',
  podmanRootless: 'podman kube play + down, rootless',
};

interface Sample {
  up: number;
  down: number;
}

interface RowResult {
  label: string;
  up: Stats;
  down: Stats;
  total: Stats;
}

export interface RootlessBenchResult {
  date: string;
  skipped?: string;
  environment?: Record<string, unknown>;
  plan?: typeof ROOTLESS_PLAN;
  rows?: Record<RowId, RowResult>;
  /** p50 of the totals, row ÷ row. */
  ratios?: Record<string, number>;
  samples?: Record<RowId, Sample[]>;
  notes?: string[];
  leftovers?: string[];
  totalSeconds?: number;
}

function log(s: string): void {
  process.stderr.write(s + '\n');
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<Ran> {
  return new Promise((res, rej) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env, cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.once('error', rej);
    child.once('close', (code) => res({ code, stdout, stderr }));
  });
}

async function must(argv: string[], what: string, env?: NodeJS.ProcessEnv): Promise<Ran> {
  const r = await run(argv, env);
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().slice(-2000)}`);
  return r;
}

function podYaml(): string {
  const container = (name: string) => [`  - name: ${name}`, `    image: ${IMAGE}`, '    imagePullPolicy: IfNotPresent', `    command: ${JSON.stringify(APP_COMMAND)}`].join('\n');
  return ['apiVersion: v1', 'kind: Pod', 'metadata:', `  name: ${POD_NAME}`, '  annotations:', '    podsmith.io/network: none', 'spec:', '  containers:', container('app-a'), container('app-b'), ''].join('\n');
}

function checkStatus(s: PodStatus, row: RowId): void {
  if (s.phase !== 'Running' || s.containerStatuses.length !== 2 || s.containerStatuses.some((c) => !c.state.running))
    throw new Error(`${LABELS[row]}: pod is ${s.phase} (${s.containerStatuses.map((c) => `${c.name}=${Object.keys(c.state)[0]}`).join(', ')})`);
}

/** Everything below one temp dir, the user's parts given to the user. */
interface World {
  root: string;
  user: TestUser;
  yamlPath: string;
  manifest: string;
  rootHome: string;
  userHome: string;
  /** argv prefix running a command as the user, with a clean environment. */
  asUser: string[];
  rootClient?: DaemonClient;
  userClient?: DaemonClient;
  userDaemon?: ReturnType<typeof spawn>;
  layout: string;
  podman: string[];
  podmanEnv: string[];
}

function as(w: World, argv: string[]): string[] {
  return [...w.asUser, ...argv];
}

async function daemonRound(c: DaemonClient, w: World, row: RowId): Promise<Sample> {
  const t0 = performance.now();
  const status = await c.runPod({ manifest: w.manifest, fileName: w.yamlPath, ociRuntime: 'runc' });
  const t1 = performance.now();
  checkStatus(status, row);
  const t2 = performance.now();
  await c.deletePod({ pod: POD_NAME, force: true });
  return { up: t1 - t0, down: performance.now() - t2 };
}

async function cliRound(w: World): Promise<Sample> {
  const cli = [process.execPath, join(ROOT, 'dist', 'podsmith.js')];
  const t0 = performance.now();
  const up = await must(as(w, [...cli, 'run', '-q', '--oci-runtime', 'runc', '-f', w.yamlPath]), 'podsmith run (rootless)');
  const t1 = performance.now();
  if (!up.stdout.includes(`pod/${POD_NAME}`)) throw new Error(`podsmith run printed no pod/${POD_NAME}: ${up.stdout}${up.stderr}`);
  checkStatus(await w.userClient!.getPod(POD_NAME), 'rootlessCli');
  const t2 = performance.now();
  await must(as(w, [...cli, 'rm', '-f', POD_NAME]), 'podsmith rm (rootless)');
  return { up: t1 - t0, down: performance.now() - t2 };
}

async function podmanRound(w: World): Promise<Sample> {
  const t0 = performance.now();
  await must(as(w, [...w.podmanEnv, ...w.podman, 'kube', 'play', '--network', 'none', w.yamlPath]), 'podman kube play (rootless)');
  const t1 = performance.now();
  const ps = await must(as(w, [...w.podmanEnv, ...w.podman, 'ps', '--filter', `pod=${POD_NAME}`, '--format', '{{.State}}']), 'podman ps');
  const states = ps.stdout.trim().split('\n').filter(Boolean);
  if (states.length !== 3 || states.some((s) => !/^(running|Up\b)/.test(s))) throw new Error(`podman: expected 3 running containers, got ${JSON.stringify(states)}`);
  const t2 = performance.now();
  await must(as(w, [...w.podmanEnv, ...w.podman, 'kube', 'down', w.yamlPath]), 'podman kube down (rootless)');
  return { up: t1 - t0, down: performance.now() - t2 };
}

function round(w: World, row: RowId): Promise<Sample> {
  switch (row) {
    case 'rootful':
      return daemonRound(w.rootClient!, w, row);
    case 'rootless':
      return daemonRound(w.userClient!, w, row);
    case 'rootlessCli':
      return cliRound(w);
    case 'podmanRootless':
      return podmanRound(w);
  }
}

function giveTo(path: string, user: TestUser): void {
  chownSync(path, user.uid, user.gid);
  for (const e of readdirSync(path, { withFileTypes: true })) {
    if (e.isDirectory()) giveTo(join(path, e.name), user);
    else chownSync(join(path, e.name), user.uid, user.gid);
  }
}

/** The bench's directories and files; the rest (images, daemons) comes in prepare(), undone by cleanUp(). */
function makeWorld(user: TestUser): World {
  // Short: podman refuses a runroot over 50 characters.
  const root = join(tmpdir(), `psbr-${randomBytes(4).toString('hex')}`);
  mkdirSync(root, { mode: 0o755 });
  const manifest = podYaml();
  const yamlPath = join(root, 'pod.yaml');
  writeFileSync(yamlPath, manifest);
  chmodSync(yamlPath, 0o644);
  const layout = join(root, 'layout');
  const rootHome = join(root, 'root-home');
  mkdirSync(rootHome, { mode: 0o700 });
  const userDir = join(root, 'user');
  mkdirSync(userDir, { mode: 0o700 });
  const pm = join(userDir, 'pm');
  for (const d of ['root', 'rr', 'tmp', 'networks', 'events']) mkdirSync(join(pm, d), { recursive: true });
  const conf = join(pm, 'containers.conf');
  writeFileSync(
    conf,
    [
      '[containers]',
      'default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]',
      '[engine]',
      'cgroup_manager = "cgroupfs"',
      'events_logger = "file"',
      `events_logfile_path = "${join(pm, 'events', 'events.log')}"`,
      `tmp_dir = "${join(pm, 'tmp')}"`,
      'runtime = "runc"',
      '[network]',
      `network_config_dir = "${join(pm, 'networks')}"`,
      '',
    ].join('\n'),
  );
  giveTo(userDir, user);
  const userHome = join(userDir, 'home');
  const w: World = {
    root,
    user,
    yamlPath,
    manifest,
    rootHome,
    userHome,
    asUser: ['runuser', '-u', user.name, '--', 'env', '-i', `HOME=${user.home}`, `USER=${user.name}`, `PATH=${process.env.PATH}`, 'LANG=C.UTF-8', `PODSMITH_HOME=${userHome}`, 'PODSMITH_DAEMON_IDLE=never'],
    podman: ['podman', '--root', join(pm, 'root'), '--runroot', join(pm, 'rr'), '--runtime', 'runc', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file', '--storage-driver', 'overlay'],
    podmanEnv: ['env', `CONTAINERS_CONF=${conf}`],
    layout,
  };
  return w;
}

async function prepare(w: World): Promise<void> {
  const { layout, rootHome, userHome } = w;
  await buildBusyboxLayout(layout);
  spawnSync('chmod', ['-R', 'a+rX', layout]);
  // Podsmith: the image into both homes (root's in this process's way, the user's as the user).
  const cli = [process.execPath, join(ROOT, 'dist', 'podsmith.js')];
  await must([...cli, 'load', '-i', layout, '--name', IMAGE], 'podsmith load (root)', { ...process.env, PODSMITH_HOME: rootHome });
  await must(as(w, [...cli, 'load', '-i', layout, '--name', IMAGE]), 'podsmith load (rootless)');
  // podman: the same layout, tagged with the manifest's name.
  await must(as(w, [...w.podmanEnv, ...w.podman, 'pull', '-q', `oci:${layout}`]), 'podman pull (rootless)');
  const id = (await must(as(w, [...w.podmanEnv, ...w.podman, 'images', '-q']), 'podman images')).stdout.trim().split('\n')[0];
  await must(as(w, [...w.podmanEnv, ...w.podman, 'tag', id, IMAGE]), 'podman tag');
  // The daemons: root's on demand; the user's started as the user (it enters the user's namespace itself).
  // Both daemons from the same bundle.
  w.rootClient = await connectDaemon({ home: rootHome, clientName: 'bench-rootless', env: { ...process.env, PODSMITH_DAEMON_IDLE: 'never' }, daemonCommand: { command: cli[0], args: [cli[1], 'daemon'] } });
  w.userDaemon = spawn(as(w, cli)[0], [...as(w, cli).slice(1), 'daemon'], { stdio: 'ignore', cwd: ROOT });
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      w.userClient = await connectDaemon({ home: userHome, autoStart: false, clientName: 'bench-rootless' });
      break;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`the rootless daemon did not start: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

async function cleanUp(w: World): Promise<string[]> {
  const cli = [process.execPath, join(ROOT, 'dist', 'podsmith.js')];
  const quiet = (p: Promise<unknown>) => p.catch(() => undefined);
  await quiet(w.rootClient?.deletePod({ pod: POD_NAME, force: true }) ?? Promise.resolve());
  await quiet(w.userClient?.deletePod({ pod: POD_NAME, force: true }) ?? Promise.resolve());
  const leaks = [...(await new LeakTracker(w.rootHome).check()), ...(await new LeakTracker(w.userHome).check())];
  await quiet(w.rootClient?.shutdown() ?? Promise.resolve());
  w.rootClient?.close();
  await quiet(run(as(w, [...cli, 'daemon', 'stop'])));
  w.userClient?.close();
  // podman's own: its pods, storage and the rootless pause process it keeps.
  await quiet(run(as(w, [...w.podmanEnv, ...w.podman, 'kube', 'down', w.yamlPath])));
  await quiet(run(as(w, [...w.podmanEnv, ...w.podman, 'system', 'reset', '-f'])));
  const pause = join(w.root, 'user', 'pm', 'tmp', 'pause.pid');
  if (existsSync(pause)) {
    try {
      process.kill(Number(readFileSync(pause, 'utf8').trim()), 'SIGKILL');
    } catch {
      // gone
    }
  }
  rmSync(w.root, { recursive: true, force: true });
  const left = spawnSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.includes(w.root));
  return [...leaks, ...left.map((l) => `ps: ${l.trim().slice(0, 160)}`), ...(existsSync(w.root) ? [`${w.root} could not be removed`] : [])];
}

function fmt(ms: number): string {
  return ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0);
}

export async function runRootlessBench(): Promise<RootlessBenchResult> {
  const started = Date.now();
  const date = new Date().toISOString();
  const user = testUser();
  const why =
    typeof user === 'string'
      ? user
      : (whyNoNativePods() ??
        (spawnSync('sh', ['-c', 'command -v podman']).status !== 0 ? 'podman is not installed (apt-get install podman): it is the peer measured against' : undefined) ??
        (existsSync(join(ROOT, 'dist', 'podsmith.js')) ? undefined : 'dist/podsmith.js is missing: npm run build'));
  if (why) {
    log(`rootless bench skipped: ${why}`);
    return { date, skipped: why };
  }
  const w = makeWorld(user as TestUser);
  const samples = Object.fromEntries(ROWS.map((r) => [r, [] as Sample[]])) as unknown as Record<RowId, Sample[]>;
  let result: RootlessBenchResult = { date };
  let leftovers: string[] = [];
  try {
    await prepare(w);
    const total = ROOTLESS_PLAN.warmup + ROOTLESS_PLAN.runs;
    for (let i = 0; i < total; i++) {
      const order = i % 2 === 0 ? ROWS : [...ROWS].reverse();
      for (const row of order) {
        const s = await round(w, row);
        if (i >= ROOTLESS_PLAN.warmup) samples[row].push(s);
      }
      log(`rootless: round ${i + 1}/${total}${i < ROOTLESS_PLAN.warmup ? ' (warm-up)' : ''}`);
    }
    const rows = Object.fromEntries(
      ROWS.map((r) => [r, { label: LABELS[r], up: summarize(samples[r].map((s) => s.up)), down: summarize(samples[r].map((s) => s.down)), total: summarize(samples[r].map((s) => s.up + s.down)) }]),
    ) as Record<RowId, RowResult>;
    const p50 = (r: RowId) => rows[r].total.p50;
    const ratios = {
      'rootless ÷ rootful (daemon)': p50('rootless') / p50('rootful'),
      'rootless daemon ÷ podman rootless': p50('rootless') / p50('podmanRootless'),
      'rootless CLI ÷ podman rootless': p50('rootlessCli') / p50('podmanRootless'),
    };
    result = {
      date,
      environment: { cpus: cpus().length, load: loadavg().map((x) => Math.round(x * 100) / 100), node: process.version, user: (user as TestUser).name },
      plan: ROOTLESS_PLAN,
      rows,
      ratios,
      samples,
      notes: [
        'The rootless daemon runs in the test user\'s namespace; this host has hybrid cgroups, so rootless pods get no cgroups (limits not enforced) while root\'s do.',
        'podman rootless runs with runc and cgroupfs (crun refuses hybrid cgroups here), --network none, its storage in the bench\'s temp dir.',
      ],
    };
    log('');
    log(`Rootless pods: a 2-container pod up and force-deleted, medians of ${ROOTLESS_PLAN.runs} (load ${loadavg()[0].toFixed(1)} on ${cpus().length} cores)`);
    log(`  ${''.padEnd(42)}${['up p50', 'down p50', 'total p50', 'total p95'].map((h) => h.padStart(11)).join('')}`);
    for (const r of ROWS) log(`  ${rows[r].label.padEnd(42)}${[rows[r].up.p50, rows[r].down.p50, rows[r].total.p50, rows[r].total.p95].map((x) => fmt(x).padStart(11)).join('')}`);
    for (const [k, v] of Object.entries(ratios)) log(`  ${k}: ${v.toFixed(2)}×`);
  } finally {
    leftovers = await cleanUp(w);
    if (leftovers.length) log(`rootless bench left: ${leftovers.join('; ')}`);
  }
  return { ...result, leftovers, totalSeconds: Math.round((Date.now() - started) / 1000) };
}

if (require.main === module) {
  runRootlessBench().then(
    (r) => process.stdout.write(JSON.stringify({ ...r, samples: undefined }, null, 2) + '\n'),
    (err: Error) => {
      process.stderr.write(`${err.stack}\n`);
      process.exit(1);
    },
  );
}
