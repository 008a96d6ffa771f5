// Where the Podsmith engine's time goes when a pod of 2 app containers (+ pause) is run and force-deleted
// (used by ./pods.ts when the engine misses an aim; engine files are not touched):
//
//   A. Child processes of the REAL runtime (createNativeRuntime → runPod / deletePod): `child_process.spawn`
//      is wrapped for the duration, and every conmon, runc, mount, umount, flock ... is timed from spawn to
//      exit, as an offset from the start of the operation, with the stretches where none runs (JavaScript,
//      file system calls, polling waits) and the node:fs/promises calls made.
//   Floor rounds (bare runc, from ./pods.ts) run interleaved with A, so both see the same machine load.
//   C. Start-up of the CLI alone against `node -e 0`.
//
// The suggestions are computed from these measurements only: nothing here copies engine code (a copy would
// go stale as the engine changes).
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createNativeRuntime } from '../engine/pods/native';
import type { FloorParts } from './pods';
import { percentile } from './stats';

export interface ProcessTiming {
  label: string;
  /** The label without container names: what the suggestions look processes up by. */
  kind: string;
  /** Median offset from the operation's start, ms. */
  start: number;
  /** Median spawn-to-exit duration, ms. */
  duration: number;
  /** Median offset of its exit (not start + duration: medians of different runs), ms. */
  end: number;
  /** Median time spawn() itself blocked the event loop (fork + exec), ms; part of `duration`. */
  blocked: number;
  /** Median count of fs calls started before this process was spawned, and before it ended. */
  fsBefore: number;
  fsBeforeEnd: number;
  /** How many runs started it (of `runs`). */
  seen: number;
}

/** A stretch of an operation during which no child process ran. */
export interface IdleGap {
  /** Kind of the process whose end opened the gap (`call start` for the first). */
  after: string;
  /** Kind of the process whose spawn closed it (`return` for the last). */
  before: string;
  /** Median offset of the gap's start, ms. */
  at: number;
  /** Median length over all runs (0 where a run had no such gap), ms. */
  ms: number;
  /** Median count of fs calls started during it. */
  fs: number;
  seen: number;
}

export interface PhaseProcesses {
  /** Median wall time of the real operation. */
  total: number;
  /** Median time during which at least one child process ran. */
  covered: number;
  /** Median count of child processes per operation. */
  count: number;
  /** Median time per operation the spawn() calls blocked the event loop, ms. */
  blocked: number;
  processes: ProcessTiming[];
  /** Gaps of at least 0.5 ms (median), in the order they occur. */
  gaps: IdleGap[];
}

export interface FsUse {
  call: string;
  /** Median calls per operation. */
  count: number;
  /** Median summed latency per operation, ms (concurrent calls overlap). */
  ms: number;
}

export interface PodsProfile {
  runs: number;
  realRuntime: { up: PhaseProcesses; down: PhaseProcesses; fs: { up: FsUse[]; down: FsUse[] } };
  /** The floor's steps (p50), measured interleaved with the profile runs. */
  floor?: FloorParts;
  /**
   * The CLI's own cost (p50 ms): `node -e 0`; `podsmith --version` (the entry alone); `podsmith ps` against the
   * running daemon (the pod commands' bundle, connect, hello, one request); the sizes of what those load.
   */
  cliStartup?: { node: number; version: number; ps: number; entryKiB: number; podsBundleKiB: number };
  suggestions: string[];
  text: string;
}

const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);

// ---------------------------------------------------------------------------------------------------------
// A. Child processes of the real runtime

interface Spawned {
  label: string;
  kind: string;
  /** Before the spawn() call: it is synchronous (fork + exec), and that time is the child's too. */
  start: number;
  /** When spawn() returned. */
  spawned: number;
  end?: number;
}

/**
 * A short, run-independent name for a child process (the uid prefix of container ids is dropped), and its
 * kind: the same without the container's name, except the pause's conmon and start (they gate the apps).
 */
function processLabel(file: string, args: readonly string[]): { label: string; kind: string } {
  const base = file.split('/').pop() ?? file;
  if (base === 'conmon') {
    const n = (args[args.indexOf('-n') + 1] ?? '?').split('/').pop();
    return { label: `conmon → runc create ${n} (until the sync pipe reports)`, kind: n === 'POD' ? 'pause conmon' : 'app conmon' };
  }
  if (base === 'runc' || base === 'crun' || base === 'youki') {
    const a = args[0] === '--root' ? args.slice(2) : [...args];
    const flags = a.slice(1).filter((x) => x.startsWith('-') && x !== '--format');
    const id = a.slice(1).find((x) => !x.startsWith('-') && x !== 'json')?.replace(/^[0-9a-f]{12}-/, '');
    return { label: `${base} ${a[0]}${flags.length ? ' ' + flags.join(' ') : ''}${id ? ' ' + id : ''}`, kind: `${base} ${a[0]}${a[0] === 'start' && id === 'pause' ? ' (pause)' : ''}` };
  }
  if (base === 'mount') {
    const kind = `mount ${args.includes('overlay') ? 'overlay' : args.join(' ').slice(0, 30)}`;
    return { label: kind, kind };
  }
  if (base === 'umount') {
    const p = args[args.length - 1] ?? '';
    const m = /\/c\/([^/]+)\//.exec(p);
    return { label: `umount${args.includes('-l') ? ' -l' : ''} ${m ? m[1] : p.split('/').slice(-2).join('/')}`, kind: 'umount' };
  }
  if (base === 'perl') return { label: 'pause launcher (perl: cgroup, namespaces, seccomp, exec catatonit)', kind: 'pause launcher' };
  if (base === 'flock') return { label: 'flock (helper: lock was contended)', kind: 'flock' };
  return { label: `${base} ${args.slice(0, 2).join(' ')}`.trim(), kind: base };
}

/** Wraps child_process.spawn (the engine calls it through the module object, so the wrapper sees every call). */
function traceSpawns(): { take(): Spawned[]; restore(): void } {
  const cp = require('node:child_process') as { spawn: (...a: unknown[]) => import('node:child_process').ChildProcess };
  const original = cp.spawn;
  let log: Spawned[] = [];
  cp.spawn = function (this: unknown, ...a: unknown[]) {
    const start = performance.now();
    const child = original.apply(this, a);
    const entry: Spawned = { ...processLabel(String(a[0]), Array.isArray(a[1]) ? (a[1] as string[]) : []), start, spawned: performance.now() };
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

interface FsTrace {
  tally: Map<string, { count: number; ms: number }>;
  /** Start time of every call, to place the calls between child processes. */
  starts: number[];
}

const FS_CALLS = ['open', 'mkdir', 'writeFile', 'readFile', 'rename', 'rm', 'rmdir', 'readdir', 'lstat', 'stat', 'symlink', 'readlink', 'unlink', 'copyFile', 'chmod', 'lchown', 'realpath', 'access', 'appendFile'];

/**
 * Wraps node:fs/promises functions (the engine reaches them through the module object too) and FileHandle's
 * sync/datasync: calls and summed latency per function. Latencies of concurrent calls overlap, and include
 * the wait for a libuv thread.
 */
async function traceFs(): Promise<{ take(): FsTrace; restore(): void }> {
  const fsp = require('node:fs/promises') as Record<string, unknown>;
  let trace: FsTrace = { tally: new Map(), starts: [] };
  const add = (name: string, t: number) => {
    const e = trace.tally.get(name) ?? { count: 0, ms: 0 };
    e.count++;
    e.ms += performance.now() - t;
    trace.tally.set(name, e);
  };
  const wrap = (name: string, fn: (...a: unknown[]) => Promise<unknown>) =>
    function (this: unknown, ...a: unknown[]) {
      const t = performance.now();
      trace.starts.push(t);
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
  trace = { tally: new Map(), starts: [] };
  return {
    take() {
      const out = trace;
      trace = { tally: new Map(), starts: [] };
      return out;
    },
    restore() {
      for (const r of restores) r();
    },
  };
}

function summarizeFs(runs: FsTrace[]): FsUse[] {
  const names = new Set(runs.flatMap((r) => [...r.tally.keys()]));
  return [...names]
    .map((name) => ({ call: name, count: median(runs.map((r) => r.tally.get(name)?.count ?? 0)), ms: median(runs.map((r) => r.tally.get(name)?.ms ?? 0)) }))
    .sort((a, b) => b.ms - a.ms);
}

interface TracedRun {
  t0: number;
  t1: number;
  spawned: Spawned[];
  fs: FsTrace;
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

/** The stretches of one run with no child process running, keyed by the kinds around them. */
function idleGaps(r: TracedRun): Map<string, { at: number; ms: number; fs: number }> {
  const out = new Map<string, { at: number; ms: number; fs: number }>();
  const add = (key: string, from: number, to: number) => {
    const e = out.get(key) ?? { at: from - r.t0, ms: 0, fs: 0 };
    e.ms += to - from;
    e.fs += r.fs.starts.filter((t) => t >= from && t < to).length;
    out.set(key, e);
  };
  let endAt = r.t0;
  let endKind = 'call start';
  for (const s of [...r.spawned].sort((a, b) => a.start - b.start)) {
    if (s.start > endAt) add(`${endKind}\n${s.kind}`, endAt, s.start);
    const end = s.end ?? r.t1;
    if (end > endAt) {
      endAt = end;
      endKind = s.kind;
    }
  }
  if (r.t1 > endAt) add(`${endKind}\nreturn`, endAt, r.t1);
  return out;
}

function summarizePhase(runs: TracedRun[]): PhaseProcesses {
  const byLabel = new Map<string, { kind: string; starts: number[]; durations: number[]; ends: number[]; blocked: number[]; fsBefore: number[]; fsBeforeEnd: number[] }>();
  for (const r of runs) {
    const seenHere = new Map<string, number>();
    for (const s of r.spawned) {
      // A label seen twice in one run (a retried umount, say) gets a counter.
      const n = (seenHere.get(s.label) ?? 0) + 1;
      seenHere.set(s.label, n);
      const label = n > 1 ? `${s.label} (#${n})` : s.label;
      const e = byLabel.get(label) ?? { kind: s.kind, starts: [], durations: [], ends: [], blocked: [], fsBefore: [], fsBeforeEnd: [] };
      e.starts.push(s.start - r.t0);
      e.durations.push((s.end ?? r.t1) - s.start);
      e.ends.push((s.end ?? r.t1) - r.t0);
      e.blocked.push(s.spawned - s.start);
      e.fsBefore.push(r.fs.starts.filter((t) => t < s.start).length);
      e.fsBeforeEnd.push(r.fs.starts.filter((t) => t < (s.end ?? r.t1)).length);
      byLabel.set(label, e);
    }
  }
  const processes = [...byLabel]
    .map(([label, e]) => ({
      label,
      kind: e.kind,
      start: median(e.starts),
      duration: median(e.durations),
      end: median(e.ends),
      blocked: median(e.blocked),
      fsBefore: median(e.fsBefore),
      fsBeforeEnd: median(e.fsBeforeEnd),
      seen: e.starts.length,
    }))
    .sort((a, b) => a.start - b.start);
  const perRun = runs.map(idleGaps);
  const keys = new Set(perRun.flatMap((g) => [...g.keys()]));
  const gaps = [...keys]
    .map((key) => {
      const [after, before] = key.split('\n');
      const present = perRun.filter((g) => g.has(key));
      return { after, before, at: median(present.map((g) => g.get(key)!.at)), ms: median(perRun.map((g) => g.get(key)?.ms ?? 0)), fs: median(perRun.map((g) => g.get(key)?.fs ?? 0)), seen: present.length };
    })
    .filter((g) => g.ms >= 0.5)
    .sort((a, b) => a.at - b.at);
  return {
    total: median(runs.map((r) => r.t1 - r.t0)),
    covered: median(runs.map((r) => covered(r.spawned.map((s) => ({ start: s.start, end: s.end ?? r.t1 }))))),
    count: median(runs.map((r) => r.spawned.length)),
    blocked: median(runs.map((r) => r.spawned.reduce((a, s) => a + s.spawned - s.start, 0))),
    processes,
    gaps,
  };
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
  /** The CLI the bench runs, to time its start-up (`ps` needs PODSMITH_HOME in env, set to the daemon's). */
  cli?: { path: string; env: NodeJS.ProcessEnv };
}

export async function profilePodsmith(o: ProfileOptions): Promise<PodsProfile> {
  // Each iteration runs the real runtime (traced) and, when given, a floor round, so both see the same
  // machine load; the first iteration is a warm-up.
  const runtime = createNativeRuntime({ home: o.home, ociRuntime: 'runc' });
  const realUp: TracedRun[] = [];
  const realDown: TracedRun[] = [];
  const floors: FloorParts[] = [];
  try {
    for (let i = 0; i < o.runs + 1; i++) {
      const warm = i === 0;
      const trace = traceSpawns();
      const fs = await traceFs();
      try {
        const t0 = performance.now();
        const status = await runtime.runPod({ manifest: o.manifest, fileName: o.fileName });
        const t1 = performance.now();
        o.onUid(status.uid);
        const up = { t0, t1, spawned: trace.take(), fs: fs.take() };
        const t2 = performance.now();
        await runtime.deletePod({ pod: status.uid, force: true });
        const t3 = performance.now();
        if (!warm) {
          realUp.push(up);
          realDown.push({ t0: t2, t1: t3, spawned: trace.take(), fs: fs.take() });
        }
      } finally {
        trace.restore();
        fs.restore();
      }
      if (o.floorRound) {
        const parts = await o.floorRound(i);
        if (!warm) floors.push(parts);
      }
    }
  } finally {
    await runtime.close();
  }
  const real = { up: summarizePhase(realUp), down: summarizePhase(realDown), fs: { up: summarizeFs(realUp.map((r) => r.fs)), down: summarizeFs(realDown.map((r) => r.fs)) } };
  const floor = floors.length
    ? (Object.fromEntries((['pauseCreate', 'pauseStart', 'apps', 'kill', 'delete'] as const).map((k) => [k, median(floors.map((f) => f[k]))])) as unknown as FloorParts)
    : undefined;
  const cliStartup = o.cli ? cliStartupTimes(o.cli, o.runs) : undefined;
  const suggestions = suggest(o.runs, real, floor, cliStartup);
  return {
    runs: o.runs,
    realRuntime: real,
    ...(floor ? { floor } : {}),
    ...(cliStartup ? { cliStartup } : {}),
    suggestions,
    text: render(o.runs, real, suggestions, cliStartup, floor),
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
  const kib = (f: string) => Math.round(statSync(f).size / 1024);
  return {
    node: time(['-e', '0']),
    version: time([cli.path, '--version']),
    ps: time([cli.path, 'ps']),
    entryKiB: kib(cli.path),
    podsBundleKiB: kib(join(dirname(cli.path), 'podsmith-pods.js')),
  };
}

// ---------------------------------------------------------------------------------------------------------

const f1 = (ms: number) => ms.toFixed(1);
const gapName = (g: IdleGap) => `${g.after} → ${g.before}`;

function render(runs: number, real: PodsProfile['realRuntime'], suggestions: string[], cli: PodsProfile['cliStartup'], floor: FloorParts | undefined): string {
  const out: string[] = [`Where the Podsmith engine's time goes (median of ${runs} runs after a warm-up run; engine in process, force delete)`];
  out.push('  A. Child processes of the real runtime, spawn to exit, offset from the start of the call:');
  for (const [phase, p] of [['runPod', real.up], ['deletePod --force', real.down]] as const) {
    const fsUse = phase === 'runPod' ? real.fs.up : real.fs.down;
    const calls = fsUse.reduce((a, x) => a + x.count, 0);
    out.push(
      `     ${phase}: ${f1(p.total)} ms; ${p.count} child processes (spawn() blocking the event loop ${f1(p.blocked)} ms in all); some child running for ${f1(p.covered)} ms, none for ${f1(p.total - p.covered)} ms (JavaScript, file system, polling)`,
    );
    out.push(`       ${'at ms'.padStart(8)}${'takes'.padStart(8)}${'spawn()'.padStart(9)}${'fs calls'.padStart(10)}  process   (spawn(): part of 'takes' inside spawn(), blocking the event loop; fs calls: started before it)`);
    for (const x of p.processes)
      out.push(`       ${f1(x.start).padStart(8)}${f1(x.duration).padStart(8)}${f1(x.blocked).padStart(9)}${String(Math.round(x.fsBefore)).padStart(10)}  ${x.label}${x.seen < runs ? ` (in ${x.seen} of ${runs} runs)` : ''}`);
    out.push(`       no child running (at ms: gap ms, between, fs calls started in it): ${p.gaps.map((g) => `${f1(g.at)}: ${f1(g.ms)} ${gapName(g)}, ${Math.round(g.fs)} fs`).join('; ') || 'none over 0.5 ms'}`);
    out.push(`       file system: ${calls} node:fs/promises calls; summed latency (overlapping) by call: ${fsUse.slice(0, 8).map((x) => `${x.call} ${x.count}× ${f1(x.ms)}`).join(', ')}`);
  }
  if (floor)
    out.push(
      `  Floor, interleaved with these runs (ms): pause create ${f1(floor.pauseCreate)}, pause start ${f1(floor.pauseStart)}, apps create+start ${f1(floor.apps)} = up ${f1(floor.pauseCreate + floor.pauseStart + floor.apps)}; kill ${f1(floor.kill)} + delete ${f1(floor.delete)} = down ${f1(floor.kill + floor.delete)}.`,
    );
  if (cli)
    out.push(
      `  C. CLI: 'node -e 0' ${f1(cli.node)} ms; 'podsmith --version' ${f1(cli.version)} ms (the ${cli.entryKiB} KiB entry alone); 'podsmith ps' ${f1(cli.ps)} ms (the ${cli.podsBundleKiB} KiB pod commands' bundle, connect, hello, one request); the CLI row pays a start-up twice per pod.`,
    );
  if (suggestions.length) {
    out.push('  Suggestions (from the numbers above):');
    for (const s of suggestions) out.push(`     - ${s}`);
  }
  return out.join('\n');
}

/**
 * Suggestions from A's traces (and the floor and C), each only when what it targets costs enough here, with
 * what it could save on the critical path (an upper bound; summed at the end).
 */
function suggest(runs: number, real: PodsProfile['realRuntime'], floor: FloorParts | undefined, cli: PodsProfile['cliStartup']): string[] {
  const { up, down } = real;
  const of = (p: PhaseProcesses, kind: string) => p.processes.filter((x) => x.kind === kind);
  const end = (x: ProcessTiming) => x.end;
  const sum = (xs: number[]) => xs.reduce((a, x) => a + x, 0);
  const counts = (xs: ProcessTiming[]) => {
    const n = new Map<string, number>();
    for (const x of xs) n.set(x.kind, (n.get(x.kind) ?? 0) + 1);
    return [...n].map(([k, c]) => `${c > 1 ? `${c}× ` : ''}'${k}'`).join(', ');
  };
  const out: string[] = [];
  // Levers of one group are alternatives for the same time: the total counts the group's largest.
  const saves = new Map<string, { what: string; ms: number }[]>();
  const lever = (group: string, what: string, ms: number) => saves.set(group, [...(saves.get(group) ?? []), { what, ms: Math.max(0, ms) }]);
  // Gaps a suggestion accounts for, so the idle summaries list only the rest.
  const explained = new Set<IdleGap>();
  const explain = (gs: IdleGap[]) => {
    for (const g of gs) explained.add(g);
    return sum(gs.map((g) => g.ms));
  };
  const otherIdle = (phase: string, p: PhaseProcesses) => {
    const rest = p.gaps.filter((g) => !explained.has(g) && g.ms >= 1);
    if (sum(rest.map((g) => g.ms)) >= 5)
      out.push(
        `${phase}: ${f1(p.total - p.covered)} ms of ${f1(p.total)} ms have no child process running; besides the stretches above: ${rest.map((g) => `${f1(g.ms)} ms ${gapName(g)} (at ${f1(g.at)} ms, ${Math.round(g.fs)} fs calls)`).join(', ')}.`,
      );
  };

  // --- runPod. The apps' conmons need both the pause (its pid names the namespaces) and their rootfs mounted.
  const pause = of(up, 'pause conmon')[0];
  const apps = of(up, 'app conmon');
  const mounts = of(up, 'mount overlay');
  const pauseStart = of(up, 'runc start (pause)')[0];
  if (pause && apps.length) {
    const pauseEnd = end(pause);
    const lastMount = mounts.length ? mounts.reduce((a, x) => (end(x) > end(a) ? x : a)) : undefined;
    const mountsEnd = lastMount ? end(lastMount) : 0;
    const firstApp = apps.reduce((a, x) => (x.start < a.start ? x : a));
    // How long the pause gates the apps beyond their own rootfs.
    const pauseLead = pauseEnd - mountsEnd;
    if (pauseLead >= 3 && pause.start >= 5) {
      const before = up.processes.filter((x) => x.start < pause.start);
      const lead = explain(up.gaps.filter((g) => g.after === 'call start'));
      out.push(
        `run: the pause's conmon is spawned ${f1(pause.start)} ms into runPod (the floor's first runc at 0 ms${lead < pause.start - 0.5 ? `; ${f1(lead)} ms of it with no child running` : ''}), after ${Math.round(pause.fsBefore)} fs calls${before.length ? ` and ${counts(before)}` : ''}. The pause is created at ${f1(pauseEnd)} ms, ${f1(pauseLead)} ms after the apps' rootfs are mounted (${f1(mountsEnd)} ms): the apps wait for it. It needs only its bundle and the 'creating' record: spawning its conmon right after the record is saved, with images, volumes and /etc files resolved meanwhile, saves up to ${f1(Math.min(pause.start, pauseLead))} ms.`,
      );
      lever('pause', 'pause spawned earlier', Math.min(pause.start, pauseLead));
    }
    if (pauseLead >= 3) {
      // The pause is Podsmith's own static catatonit, not user code: conmon's logs and exit codes buy little.
      const save = Math.min(pause.duration, pauseLead);
      const overlapping = up.processes.filter((x) => x !== pause && x.start < pauseEnd && end(x) > pause.start);
      const vsFloor = floor ? ` (the floor's bare 'runc create' of its pause: ${f1(floor.pauseCreate)} ms; the rest is conmon's own start${overlapping.length ? ` and ${counts(overlapping)} beside it` : ''})` : '';
      out.push(
        `run: conmon → runc create of the pause takes ${f1(pause.duration)} ms${vsFloor}, up to ${f1(save)} ms of it gating the apps. The pause is Podsmith's static catatonit, not user code: spawned directly in new net/ipc/uts namespaces (util-linux 'unshare', moved into the pod cgroup, capabilities dropped with 'setpriv'), or with the namespaces pinned by bind mounts as CRI-O's pinns does, it would cost a few ms.`,
      );
      lever('pause', 'pause without conmon/runc', save);
    }
    if (lastMount && -pauseLead >= 3) {
      const avg = sum(mounts.map((x) => x.duration)) / mounts.length;
      out.push(
        `run: the apps wait for their rootfs, not the pause: the last 'mount overlay' ends at ${f1(mountsEnd)} ms, ${f1(-pauseLead)} ms after the pause is created; the mounts are spawned at ${f1(Math.min(...mounts.map((x) => x.start)))} ms and take ${f1(avg)} ms each. mount(2) in process through koffi (already loaded for flock) saves the 'mount' processes; mounting before volumes and /etc files are written moves them earlier.`,
      );
      lever('rootfs', 'rootfs mounted sooner', Math.min(-pauseLead, avg));
    }
    const ready = Math.max(pauseEnd, mountsEnd);
    const wait = firstApp.start - ready;
    if (wait >= 3) {
      const between = up.processes.filter((x) => x.kind !== 'app conmon' && x.start >= ready - 0.5 && x.start < firstApp.start);
      const blocked = sum(between.map((x) => x.blocked));
      const fsCalls = firstApp.fsBefore - (pauseEnd >= mountsEnd ? pause.fsBeforeEnd : lastMount!.fsBeforeEnd);
      const none = explain(up.gaps.filter((g) => g.at >= ready - 0.5 && g.at < firstApp.start));
      out.push(
        `run: the apps' conmons are spawned ${f1(wait)} ms after the pause is created and the rootfs are mounted (at ${f1(ready)} ms). In between: ${Math.round(fsCalls)} fs calls (the instance bundles: template read + parse, rm, config.json write + rename, mkdirs; conmon's directories)${between.length ? `, ${counts(between)} spawned first (spawn() blocking ${f1(blocked)} ms, then competing for the CPUs)` : ''}${none >= 0.5 ? `, ${f1(none)} ms with no child running` : ''}. Only the namespace paths need the pause pid: make the bundle directories and parse the template while the pause is created, leaving one config.json write per app${between.length ? `, and spawn ${counts(between)} after the apps' conmons (nothing needs it sooner)` : ''}.`,
      );
      lever('apps', 'apps spawned right after the pause is created', wait - 1);
    }
  }
  const starts = up.processes.filter((x) => x.kind.startsWith('runc start'));
  const appStarts = of(up, 'runc start');
  if (appStarts.length) {
    const avg = sum(starts.map((x) => x.duration)) / starts.length;
    if (avg >= 4) {
      out.push(
        `run: each 'runc start' is a process of its own (${f1(avg)} ms on average, ${starts.length} per pod, the apps' ones on the critical path; the floor pays them too). What it does is open <runc root>/<id>/exec.fifo and read it, which releases the container's init: doing that from Node saves the processes, at the price of depending on a runc (and crun) implementation detail rather than the OCI command line.`,
      );
      lever('runc start', "apps' runc start from Node", Math.max(...appStarts.map((x) => x.duration)) - 1);
    }
  }
  if (pauseStart && appStarts.length && end(pauseStart) - Math.max(...appStarts.map(end)) >= 2)
    out.push(
      `run: the pause's 'runc start' ends last, ${f1(end(pauseStart) - Math.max(...appStarts.map(end)))} ms after the apps' starts (spawned at ${f1(pauseStart.start)} ms, ${f1(pauseStart.duration)} ms): runPod waits for it and the pod cgroup limits after it.`,
    );
  const tail = up.gaps.find((g) => g.before === 'return');
  if (tail && tail.ms >= 5) {
    explain([tail]);
    const limitsLast = tail.after === 'runc start (pause)';
    out.push(
      `run: ${f1(tail.ms)} ms and ${Math.round(tail.fs)} fs calls pass between the last child's exit ('${tail.after}') and runPod's return (the 'running' record, the supervisor's watch${limitsLast ? ", the pod cgroup limits, written after the pause's start" : ''}).${limitsLast ? ' The pod cgroup exists once the pause is created: writing its limits then, beside the app creates, takes them off the end.' : ''}`,
    );
    if (limitsLast) lever('run tail', 'pod limits before the pause start', tail.ms / 2);
  }
  const sync = real.fs.up.find((x) => x.call === 'FileHandle.datasync');
  if (sync && sync.ms >= 5)
    out.push(
      `run: ${sync.count} datasync calls cost ${f1(sync.ms)} ms (summed; rootfs refs in the image store, written atomically and flushed). A rootfs ref only has to survive a process crash, not a host crash (mounts do not survive one either): rename without datasync is enough there.`,
    );
  otherIdle('run', up);

  // --- deletePod --force.
  const first = down.processes[0];
  const lead = explain(down.gaps.filter((g) => g.after === 'call start'));
  if (first && lead >= 5) {
    out.push(
      `delete: the first child process ('${first.kind}') is spawned ${f1(lead)} ms into deletePod, after ${Math.round(first.fsBefore)} fs calls (the record read and saved as 'deleting', conmon pids, the pod cgroup's pids read and killed). With a record the conmon pids are in it (the scan of bundle pid files is for record-less teardown), and the cgroup's cgroup.procs files can be read in parallel rather than one directory after the other.`,
    );
    lever('delete lead', 'fewer fs calls before the kill', lead / 2);
  }
  const list = of(down, 'runc list');
  const listMs = sum(list.map((x) => x.duration));
  if (listMs >= 3) {
    out.push(
      `delete: ${list.length > 1 ? `${list.length} 'runc list' cost` : "'runc list' costs"} ${f1(listMs)} ms (spawned at ${f1(list[0].start)} ms) only to find the pod's containers. With a record (the normal case) their ids are known (pause.id, containers[].process.id): keep 'runc list' for record-less teardown (crash recovery).`,
    );
    lever('runc list', "no 'runc list'", listMs);
  }
  const kills = of(down, 'runc kill');
  if (kills.length)
    out.push(
      `delete: ${kills.length} 'runc kill' ran (in ${Math.max(...kills.map((x) => x.seen))} of ${runs} runs; ${f1(Math.max(...kills.map(end)) - Math.min(...kills.map((x) => x.start)))} ms wall): the pod's processes are meant to be killed through its cgroup, so the cgroup looked empty then.`,
    );
  const deletes = of(down, 'runc delete');
  const waitConmons = explain(down.gaps.filter((g) => g.before === 'runc delete'));
  if (deletes.length && waitConmons >= 5) {
    out.push(
      `delete: ${f1(waitConmons)} ms pass with no child running before the first 'runc delete' (spawned at ${f1(Math.min(...deletes.map((x) => x.start)))} ms): the wait for the conmons to exit, polled with a 2→50 ms back-off. They exit within a few ms of their container's init: poll every 2-5 ms (or wait on a pidfd), and since 'runc delete' needs the containers stopped, not conmon gone, run the deletes during that wait.`,
    );
    lever('conmon wait', 'conmon wait overlapped with the deletes', waitConmons - 2);
  }
  if (deletes.length) {
    const wall = Math.max(...deletes.map(end)) - Math.min(...deletes.map((x) => x.start));
    const each = sum(deletes.map((x) => x.duration)) / deletes.length;
    // The floor runs the same command: only what exceeds it is the engine's own.
    if (floor ? wall - floor.delete >= 5 : wall >= 15) {
      out.push(
        `delete: ${deletes.length} 'runc delete' in parallel take ${f1(wall)} ms wall (${f1(each)} ms each${floor ? `; the floor's 3 deletes ${f1(floor.delete)} ms` : ''}). On a stopped container it removes runc's state directory and the container's cgroup, which the pod cgroup's removal covers: deleting that directory from Node saves the processes, at the price of depending on runc's state layout (as for 'runc start').`,
      );
      lever('runc delete', "runc's state removed from Node", wall - 1);
    }
  }
  const cgroupGap = explain(down.gaps.filter((g) => g.after === 'runc delete' && g.before === 'umount'));
  if (cgroupGap >= 5) {
    out.push(
      `delete: ${f1(cgroupGap)} ms with no child running between the last 'runc delete' and the first 'umount': the pod cgroup tree removed (rmdir in every hierarchy, EBUSY retried every 20 ms). Retry sooner (2-5 ms), or remove it after replying: the pod's processes are dead already.`,
    );
    lever('cgroup', 'cgroup removal off the critical path', cgroupGap - 1);
  }
  const umounts = of(down, 'umount');
  if (umounts.length) {
    const wall = Math.max(...umounts.map(end)) - Math.min(...umounts.map((x) => x.start));
    const total = sum(umounts.map((x) => x.duration));
    if (wall >= 6) {
      out.push(
        `delete: ${umounts.length} 'umount' processes take ${umounts.map((x) => f1(x.duration)).join(' + ')} ms, ${f1(wall)} ms wall${wall < total * 0.8 ? ' (in parallel)' : ': run them in parallel'}. umount2(2) in process through koffi (already loaded for flock) saves the processes.`,
      );
      lever('umount', 'umount2 in process', wall - 1);
    }
  }
  const downTail = down.gaps.find((g) => g.before === 'return');
  if (downTail && downTail.ms >= 3) {
    explain([downTail]);
    out.push(
      `delete: ${f1(downTail.ms)} ms and ${Math.round(downTail.fs)} fs calls pass after the last child process ('${downTail.after}') before deletePod returns (store refs dropped, the mountinfo scan, rm -r of the pod directory, the name released). Renaming the directory into a trash directory of the home (atomic, so the pod is gone at once) and emptying it after replying takes most of it off the critical path; reconcile empties the trash after a crash.`,
    );
    lever('trash', 'trash rename', downTail.ms - 1);
  }
  otherIdle('delete', down);

  const blocked = up.blocked + down.blocked;
  if (blocked >= 10)
    out.push(
      `both: spawn() itself blocks the event loop ${f1(blocked)} ms per pod (${up.count + down.count} child processes, ${f1(blocked / (up.count + down.count))} ms each: it forks this process, and the larger its memory the slower), nothing else running on it meanwhile: every process saved above saves that too.`,
    );
  if (floor && saves.size) {
    const engine = up.total + down.total;
    const floorTotal = floor.pauseCreate + floor.pauseStart + floor.apps + floor.kill + floor.delete;
    const best = [...saves.values()].map((g) => g.reduce((a, s) => (s.ms > a.ms ? s : a)));
    const saved = sum(best.map((s) => s.ms));
    out.push(
      `together (upper bound: the savings overlap; of alternatives for the same time the larger counts): ${best.map((s) => `${s.what} ${f1(s.ms)}`).join(', ')}: about ${f1(saved)} ms of ${f1(engine)} ms, which would put the engine near ${((engine - saved) / floorTotal).toFixed(2)}× the floor measured alongside (${f1(floorTotal)} ms), against ${(engine / floorTotal).toFixed(2)}× now.`,
    );
  }
  if (cli && cli.ps - cli.node >= 30)
    out.push(
      `CLI: 'podsmith ps' takes ${f1(cli.ps)} ms against ${f1(cli.node)} ms for 'node -e 0': ${f1(cli.ps - cli.node)} ms of loading the pod commands' bundle, connecting and asking, paid twice per pod (run, rm). Check that the V8 code cache is used (engine/cli/compile-cache.ts) and what the bundle holds (esbuild --metafile).`,
    );
  return out;
}
