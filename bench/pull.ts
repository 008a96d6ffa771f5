// Scenario (d): pulling an image from a local registry (Debian's docker-registry, plain HTTP on loopback).
//
//   cold      Podsmith: fresh PODSMITH_HOME -> pullImage + unpackImage + createRootfs, in process
//             peer:     skopeo copy docker://… oci:DIR:TAG + umoci unpack --image DIR:TAG BUNDLE, fresh dir
//   warm      Podsmith: pullImage again into the same store + createRootfs from the cached layers
//
// The two cold pipelines alternate (who goes first swaps each round) and start from a synced filesystem, so
// neither pays for the other's dirty pages. Nothing is deleted until every timed run is over: on ext4
// without a journal (as on the machine this was written on) the inode allocator steps over, one by one, every
// inode freed in the last 60 s (recently_deleted() in fs/ext4/ialloc.c), so deleting one round's trees would
// slow the next round's file creation several-fold. The first round also compares the two root filesystems
// file by file: a tool that skipped work would otherwise look fast. When Podsmith's cold median is the slower
// one, ./pull-profile.ts breaks its unpack time down stage by stage.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pullImage, type PullOptions } from '../engine/image/pull';
import { InsecurePolicy } from '../engine/image/registry/insecure';
import { openStore, type ImageStore } from '../engine/image/store';
import { createRootfs, removeRootfs, unpackImage, type Rootfs } from '../engine/image/unpack';
import { startRegistry, type TestRegistry } from '../test/support/registry';
import { buildBenchImage, pushBenchImage, run, type BenchImage } from './pull-image';
import { profileUnpack, type UnpackProfile } from './pull-profile';
import { summarize, type Stats } from './stats';

/** Rounds of cold pulls per tool, and warm pulls after each Podsmith cold pull: 40-60 s of rounds on two cores. */
export const PULL_PLAN = { warmup: 1, runs: 5, warmPerRun: 3 };

const AIM_COLD_RATIO = 1;
const AIM_WARM_RATIO = 10;
const REPO_TAG = 'bench/app:1';

export interface PullBenchResult {
  /** The table for stdout. */
  text: string;
  /** What goes under `pull` in bench/results/latest.json. */
  json: Record<string, unknown>;
}

interface ColdPodsmith {
  total: number;
  pull: number;
  unpack: number;
  rootfs: number;
  /** Per layer, bottom first: time from unpack-start to unpack-done. */
  layers: number[];
}

interface ColdPeer {
  total: number;
  skopeo: number;
  umoci: number;
}

interface Warm {
  total: number;
  pull: number;
  rootfs: number;
}

function log(s: string): void {
  process.stderr.write(s + '\n');
}

/** Flushes dirty pages between runs (untimed): Podsmith syncs its layers, and would otherwise pay for the peer's writes. */
function settle(): void {
  spawnSync('sync');
}

function version(cmd: string): string {
  const r = spawnSync(cmd, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim().split('\n')[0] : `${cmd} (version unknown)`;
}

/**
 * Everything a run leaves behind, so an interrupted bench (Ctrl-C exits the process from run.ts) still unmounts
 * overlays and deletes its files: 'exit' handlers must be synchronous, hence spawnSync.
 */
class Leftovers {
  readonly rootfs = new Set<string>();
  readonly dirs = new Set<string>();
  private readonly onExit = (): void => this.sweepSync();
  constructor() {
    process.on('exit', this.onExit);
  }
  /** Lazily unmounts every rootfs still registered below `parent` (only after createRootfs or removeRootfs threw). */
  detachUnder(parent: string): void {
    for (const dir of this.rootfs) {
      if (!dir.startsWith(parent + '/')) continue;
      spawnSync('umount', ['-l', join(dir, 'rootfs')], { stdio: 'ignore' });
      this.rootfs.delete(dir);
    }
  }
  sweepSync(): void {
    for (const dir of this.rootfs) spawnSync('umount', ['-l', join(dir, 'rootfs')], { stdio: 'ignore' });
    this.rootfs.clear();
    for (const dir of this.dirs) {
      // rm is about twice as fast as rmSync on these trees, and --one-file-system never descends into a mount.
      const r = spawnSync('rm', ['-rf', '--one-file-system', dir], { stdio: 'ignore' });
      if (r.status !== 0) log(`warning: could not remove all of ${dir} (a mount left inside?)`);
    }
    this.dirs.clear();
  }
  dispose(): void {
    this.sweepSync();
    process.off('exit', this.onExit);
  }
}

async function dropRootfs(store: ImageStore, r: Rootfs, left: Leftovers): Promise<void> {
  try {
    await removeRootfs(store, r.dir);
  } catch (err) {
    // A busy mount must not stop the bench, and deleting through it would only fill its upper dir.
    log(`warning: removeRootfs ${r.dir}: ${(err as Error).message}; detaching the mount`);
    spawnSync('umount', ['-l', r.path], { stdio: 'ignore' });
  }
  left.rootfs.delete(r.dir);
}

function pullOptions(reg: TestRegistry, store: ImageStore, home: string): PullOptions {
  // Explicit policy and no credentials: nothing from the user's own configuration takes part.
  return { store, insecure: new InsecurePolicy([reg.host]), credentials: null, env: { PODSMITH_HOME: home, HOME: home } };
}

/**
 * One cold Podsmith pipeline, then `warm` warm pulls on the same store. Its files stay until the whole bench
 * is done (see runPullBench); only its mounts go here.
 */
async function podsmithRound(
  reg: TestRegistry,
  image: BenchImage,
  root: string,
  left: Leftovers,
  warm: number,
  inspect?: (rootfs: string) => void,
): Promise<{ cold: ColdPodsmith; warm: Warm[] }> {
  const dir = mkdtempSync(join(root, 'podsmith-'));
  const home = join(dir, 'home');
  const ref = `${reg.host}/${REPO_TAG}`;
  const rootfs: Rootfs[] = [];
  let store: ImageStore | undefined;
  try {
    const layerStart = new Map<string, number>();
    const layers: number[] = [];
    const t0 = performance.now();
    store = await openStore(home);
    const pulled = await pullImage(ref, pullOptions(reg, store, home));
    const t1 = performance.now();
    await unpackImage(store, pulled.digest, {
      onProgress: (e) => {
        if (e.type === 'unpack-start') layerStart.set(e.digest, performance.now());
        if (e.type === 'unpack-done') layers.push(performance.now() - layerStart.get(e.digest)!);
      },
    });
    const t2 = performance.now();
    left.rootfs.add(join(dir, 'ctr-cold'));
    const r = await createRootfs(store, { image: ref, dir: join(dir, 'ctr-cold') });
    rootfs.push(r);
    const t3 = performance.now();

    const expected = image.compressedBytes + image.configBytes;
    if (pulled.downloadedBytes !== expected) throw new Error(`cold pull downloaded ${pulled.downloadedBytes} bytes, expected ${expected}`);
    if (pulled.digest !== image.manifestDigest) throw new Error(`pulled ${pulled.digest}, pushed ${image.manifestDigest}`);
    inspect?.(r.path);

    const warmRuns: Warm[] = [];
    for (let i = 0; i < warm; i++) {
      settle();
      const w0 = performance.now();
      // A second `podsmith pull` is a new process: it opens the store again.
      const again = await openStore(home);
      const p = await pullImage(ref, pullOptions(reg, again, home));
      const w1 = performance.now();
      left.rootfs.add(join(dir, `ctr-warm-${i}`));
      const wr = await createRootfs(again, { image: ref, dir: join(dir, `ctr-warm-${i}`) });
      const w2 = performance.now();
      rootfs.push(wr);
      if (p.downloadedBytes !== 0) throw new Error(`warm pull downloaded ${p.downloadedBytes} bytes`);
      if (!wr.image.layers.every((l) => l.cached)) throw new Error('warm rootfs unpacked layers again');
      warmRuns.push({ total: w2 - w0, pull: w1 - w0, rootfs: w2 - w1 });
    }
    return { cold: { total: t3 - t0, pull: t1 - t0, unpack: t2 - t1, rootfs: t3 - t2, layers }, warm: warmRuns };
  } finally {
    if (store) for (const r of rootfs) await dropRootfs(store, r, left);
    left.detachUnder(dir);
  }
}

/** One cold skopeo + umoci pipeline into a fresh directory (kept until the end, like Podsmith's). */
async function peerRound(reg: TestRegistry, root: string, inspect?: (rootfs: string) => void): Promise<ColdPeer> {
  const dir = mkdtempSync(join(root, 'peer-'));
  const layout = `${join(dir, 'oci')}:bench`;
  const t0 = performance.now();
  await run('skopeo', ['--insecure-policy', 'copy', '--quiet', '--src-tls-verify=false', `docker://${reg.host}/${REPO_TAG}`, `oci:${layout}`]);
  const t1 = performance.now();
  // We run as root, so umoci's plain (not --rootless) mode: real owners, as Podsmith's unpack does as root.
  await run('umoci', ['unpack', '--image', layout, join(dir, 'bundle')]);
  const t2 = performance.now();
  inspect?.(join(dir, 'bundle', 'rootfs'));
  return { total: t2 - t0, skopeo: t1 - t0, umoci: t2 - t1 };
}

/** path -> type, owner, permission bits, size, content hash or link target: what a container would see. */
function describeTree(rootDir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(rootDir, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const p = join(rootDir, r);
      const st = lstatSync(p);
      const common = `${st.uid}:${st.gid} ${(st.mode & 0o7777).toString(8)}`;
      if (st.isDirectory()) {
        out.set(r, `dir ${common}`);
        walk(r);
      } else if (st.isSymbolicLink()) out.set(r, `symlink -> ${readlinkSync(p)}`);
      else if (st.isFile()) out.set(r, `file ${common} ${st.size} ${createHash('sha256').update(readFileSync(p)).digest('hex').slice(0, 16)}`);
      else out.set(r, `other ${common}`);
    }
  };
  walk('');
  return out;
}

function compareTrees(podsmith: Map<string, string>, peer: Map<string, string>): string[] {
  const diffs: string[] = [];
  for (const [p, d] of podsmith) if (peer.get(p) !== d) diffs.push(`${p}: Podsmith ${d}, umoci ${peer.get(p) ?? '(missing)'}`);
  for (const [p, d] of peer) if (!podsmith.has(p)) diffs.push(`${p}: Podsmith (missing), umoci ${d}`);
  return diffs;
}

function fmtMs(ms: number): string {
  return ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0);
}

function fmtRatio(r: number): string {
  return `${r < 10 ? r.toFixed(2) : r.toFixed(0)}×`;
}

const mib = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MiB`;

export async function runPullBench(): Promise<PullBenchResult> {
  const started = performance.now();
  const root = mkdtempSync(join(tmpdir(), 'podsmith-bench-pull-'));
  const left = new Leftovers();
  left.dirs.add(root);
  let reg: TestRegistry | undefined;
  let r: PullBenchResult;
  try {
    r = await measure(root, left, (x) => {
      reg = x;
      left.dirs.add(x.dir); // for an interrupted run; stop() removes it otherwise
    });
  } finally {
    // About a gigabyte and 60,000 inodes by now: deleting them takes a while, so it counts in the bench time.
    log('(d) pull: cleaning up ...');
    await reg?.stop();
    left.dispose();
  }
  const seconds = (performance.now() - started) / 1000;
  return { text: `${r.text}\n\nPull bench time ${seconds.toFixed(1)} s, cleanup included.`, json: { ...r.json, totalSeconds: seconds } };
}

async function measure(root: string, left: Leftovers, registryStarted: (reg: TestRegistry) => void): Promise<PullBenchResult> {
  const phase = { at: performance.now() };
  const lap = (): string => {
    const now = performance.now();
    const s = ((now - phase.at) / 1000).toFixed(1);
    phase.at = now;
    return `${s} s`;
  };
  log('(d) pull: building the image and pushing it with skopeo ...');
  const image = await buildBenchImage(join(root, 'layout'));
  const reg = await startRegistry();
  registryStarted(reg);
  await pushBenchImage(image, reg.host, REPO_TAG);
  mkdirSync(join(root, 'runs'));
  const runs = join(root, 'runs');

  // Round 0 is a warm-up for both (JIT, the registry's caches) and checks that both produce the same rootfs.
  log(`(d) pull: image ready (${lap()}); ${PULL_PLAN.warmup} warm-up round and ${PULL_PLAN.runs} timed rounds, alternating Podsmith and skopeo + umoci ...`);
  let podsmithTree: Map<string, string> | undefined;
  let peerTree: Map<string, string> | undefined;
  settle();
  await podsmithRound(reg, image, runs, left, 0, (p) => (podsmithTree = describeTree(p)));
  settle();
  await peerRound(reg, runs, (p) => (peerTree = describeTree(p)));
  const diffs = compareTrees(podsmithTree!, peerTree!);
  if (diffs.length) throw new Error(`sanity check failed: the Podsmith and umoci root filesystems differ; the comparison is invalid.\n  ${diffs.slice(0, 20).join('\n  ')}`);
  const sanity = `the Podsmith (overlay) and umoci root filesystems match: ${podsmithTree!.size} paths, same types, owners, modes, sizes, contents and link targets`;

  const cold: ColdPodsmith[] = [];
  const peer: ColdPeer[] = [];
  const warm: Warm[] = [];
  for (let i = 0; i < PULL_PLAN.runs; i++) {
    const order = i % 2 === 0 ? ['podsmith', 'peer'] : ['peer', 'podsmith'];
    for (const who of order) {
      settle();
      if (who === 'podsmith') {
        const r = await podsmithRound(reg, image, runs, left, PULL_PLAN.warmPerRun);
        cold.push(r.cold);
        warm.push(...r.warm);
      } else {
        peer.push(await peerRound(reg, runs));
      }
    }
  }

  log(`(d) pull: rounds done (${lap()})`);

  const s = {
    podsmith: {
      total: summarize(cold.map((c) => c.total)),
      pull: summarize(cold.map((c) => c.pull)),
      unpack: summarize(cold.map((c) => c.unpack)),
      rootfs: summarize(cold.map((c) => c.rootfs)),
      layers: image.layers.map((_, i) => summarize(cold.map((c) => c.layers[i]))),
    },
    peer: { total: summarize(peer.map((p) => p.total)), skopeo: summarize(peer.map((p) => p.skopeo)), umoci: summarize(peer.map((p) => p.umoci)) },
    warm: { total: summarize(warm.map((w) => w.total)), pull: summarize(warm.map((w) => w.pull)), rootfs: summarize(warm.map((w) => w.rootfs)) },
  };
  const ratio = {
    /** skopeo + umoci ÷ Podsmith, cold (above 1: Podsmith is faster). */
    cold: s.peer.total.p50 / s.podsmith.total.p50,
    download: s.peer.skopeo.p50 / s.podsmith.pull.p50,
    unpack: s.peer.umoci.p50 / (s.podsmith.unpack.p50 + s.podsmith.rootfs.p50),
    /** Podsmith cold ÷ warm. */
    warm: s.podsmith.total.p50 / s.warm.total.p50,
    warmPull: s.podsmith.pull.p50 / s.warm.pull.p50,
  };
  // Only worth its 5-20 s when there is something to explain.
  let profile: { text: string; json: UnpackProfile | null } = { text: 'Podsmith cold is not slower than skopeo + umoci: no unpack profile this time.', json: null };
  if (ratio.cold < AIM_COLD_RATIO) {
    log('(d) pull: Podsmith cold is slower; profiling the unpack path ...');
    settle();
    profile = await profileUnpack(image, join(root, 'profile'));
    log(`(d) pull: profile done (${lap()})`);
  }

  const aims = {
    cold: { aim: 'cold: Podsmith pull + unpack no slower than skopeo copy + umoci unpack (median)', value: ratio.cold, met: ratio.cold >= AIM_COLD_RATIO },
    warm: { aim: `warm: pull + rootfs of a stored image ≥ ${AIM_WARM_RATIO}× faster than the cold pull + unpack (median)`, value: ratio.warm, met: ratio.warm >= AIM_WARM_RATIO },
  };

  const row = (label: string, st: Stats, note = ''): string => `  ${label.padEnd(46)}${fmtMs(st.p50).padStart(10)}${fmtMs(st.min).padStart(10)}${note ? '   ' + note : ''}`;
  const share = (part: Stats, whole: Stats): string => `${((part.p50 / whole.p50) * 100).toFixed(0)}%`;
  const text = [
    '',
    `(d) Pull from a local registry (docker-registry on loopback, plain HTTP): ${version('skopeo')}, ${version('umoci')}`,
    `  image: ${image.layers.length} gzip layers, ${mib(image.compressedBytes)} compressed, ${mib(image.tarBytes)} of tar, ${image.entries} entries; ` +
      `${PULL_PLAN.runs} cold rounds each (alternating, after ${PULL_PLAN.warmup} warm-up), ${warm.length} warm pulls`,
    '  Podsmith runs in this process (no start-up counted); skopeo and umoci run as commands. Both unpacks are mostly',
    '  file creation, whose cost swings with the filesystem\'s recent history: rounds alternate, nothing is deleted',
    '  before the end (see bench/pull.ts).',
    `  sanity: ${sanity}`,
    `  ${''.padEnd(46)}${'median ms'.padStart(10)}${'min ms'.padStart(10)}`,
    row('Podsmith cold: pull + unpack + rootfs', s.podsmith.total),
    row('  pullImage (download into the store)', s.podsmith.pull, share(s.podsmith.pull, s.podsmith.total)),
    row('  unpackImage (layers into the layer cache)', s.podsmith.unpack, share(s.podsmith.unpack, s.podsmith.total)),
    ...s.podsmith.layers.map((l, i) => row(`    layer ${i + 1} (${mib(image.layers[i].tarBytes)}, ${image.layers[i].entries} entries)`, l)),
    row('  createRootfs (overlay mount)', s.podsmith.rootfs, share(s.podsmith.rootfs, s.podsmith.total)),
    row('skopeo copy + umoci unpack', s.peer.total),
    row('  skopeo copy (docker:// -> oci:)', s.peer.skopeo, share(s.peer.skopeo, s.peer.total)),
    row('  umoci unpack', s.peer.umoci, share(s.peer.umoci, s.peer.total)),
    `  ratio (skopeo + umoci ÷ Podsmith), cold: ${fmtRatio(ratio.cold)} total, ${fmtRatio(ratio.download)} download, ${fmtRatio(ratio.unpack)} unpack`,
    row('Podsmith warm: pull + rootfs (image stored)', s.warm.total),
    row('  pullImage (manifest HEAD only)', s.warm.pull),
    row('  createRootfs (cached layers)', s.warm.rootfs),
    `  ratio (Podsmith cold ÷ warm): ${fmtRatio(ratio.warm)} pull + rootfs, ${fmtRatio(ratio.warmPull)} pull only`,
    '',
    profile.text,
    '',
    'Aims (reported, never enforced):',
    ...Object.values(aims).map((a) => `  ${a.met ? 'met    ' : 'NOT met'}  ${a.aim}: ${fmtRatio(a.value)}`),
  ].join('\n');

  const json = {
    environment: { skopeo: version('skopeo'), umoci: version('umoci'), registry: 'docker-registry (distribution), plain HTTP on 127.0.0.1' },
    image: { layers: image.layers, compressedBytes: image.compressedBytes, tarBytes: image.tarBytes, entries: image.entries, manifestDigest: image.manifestDigest },
    plan: PULL_PLAN,
    stats: s,
    samples: { podsmithCold: cold, peerCold: peer, podsmithWarm: warm },
    ratio,
    aims,
    sanity,
    profile: profile.json,
  };
  return { text, json };
}
