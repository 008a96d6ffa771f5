// `npm run bench -- --only editor-logs`: a 1 GB container log in the editor. The real engine (daemon from
// dist/) runs a pod whose container's log gets 1 GiB of CRI records; code-server's real extension host (the
// VS Code test harness, test/vscode) then measures, side by side, how soon each shows the log's last line:
//   - the log tab: `podsmith.pod.logs` until the tab holds the last line and the editor shows it;
//   - `podsmith logs --tail 1000` (the CLI from dist/, a new Node process) until it has printed it;
//   - `tail -n 1000` on the 1 GiB file itself (the floor: no engine, no parsing);
// and the extension host's memory while the tab follows a burst of new lines, next to a `podsmith logs -f`
// process following the same burst.
import { mkdtempSync, rmSync, writeSync, openSync, closeSync, statSync, readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runInExtensionHost } from './extension-host';
import { connectDaemon } from '../engine/client/connect';
import type { DaemonClient } from '../engine/client/daemon-client';
import { daemonPaths } from '../engine/daemon/paths';
import { listInstances, instanceLogPath } from '../engine/logs';
import { PodPaths } from '../engine/pods/native/paths';
import { whyNoNativePods } from '../test/pods/fixtures';
import { LeakTracker } from '../test/support/leaks';

const ROOT = resolve(__dirname, '..');
const GIB = 1024 ** 3;
export const EDITOR_LOGS_PLAN = { bytes: GIB, tail: 1000, rounds: 7, burstLines: 600_000 };

function log(s: string): void {
  process.stderr.write(s + '\n');
}

const POD = `apiVersion: v1
kind: Pod
metadata:
  name: biglog
  annotations:
    podsmith.io/network: none
spec:
  containers:
    - name: app
      image: podsmith.local/busybox:1
      command: ["sh", "-c", "echo started; while true; do sleep 1; done"]
`;

/** Why this part cannot run here, or undefined. */
export function whyNoEditorLogsBench(): string | undefined {
  const native = whyNoNativePods();
  if (native) return native;
  if (!existsSync(join(ROOT, 'test', 'vscode', '.toolchain', 'toolchain.json'))) return 'the VS Code test toolchain is not installed (bash test/vscode/setup.sh)';
  if (!existsSync(join(ROOT, 'dist', 'podsmith.js')) || !existsSync(join(ROOT, 'dist', 'client.js'))) return 'dist/ is not built (npm run build)';
  return undefined;
}

/**
 * Appends `bytes` of CRI records to `path` (1 ms apart, ending now), numbered lines of ~150 bytes, and returns
 * how many and the content of the last one.
 */
function writeBigLog(path: string, bytes: number): { lines: number; last: string } {
  const fd = openSync(path, 'a');
  const pad = ' the quick brown fox jumps over the lazy dog, again and again, to make a line of about a hundred bytes';
  let ms = Date.now() - Math.ceil(bytes / 150);
  let written = 0;
  let n = 0;
  let last = '';
  let second = -1;
  let stamp = '';
  try {
    while (written < bytes) {
      const parts: string[] = [];
      for (let i = 0; i < 65_536; i++, n++, ms++) {
        const s = Math.floor(ms / 1000);
        if (s !== second) {
          second = s;
          stamp = new Date(s * 1000).toISOString().slice(0, 20); // 2026-12-07T18:00:00.
        }
        last = `line ${String(n).padStart(9, '0')}${pad}`;
        parts.push(`${stamp}${String(ms % 1000).padStart(3, '0')}000000+00:00 stdout F ${last}\n`);
      }
      const buf = Buffer.from(parts.join(''));
      writeSync(fd, buf);
      written += buf.length;
    }
  } finally {
    closeSync(fd);
  }
  return { lines: n, last };
}

interface InnerResult {
  tab: { coldMs: number; ms: number[] };
  plainFile: { ms: number[] };
  cli: { ms: number[] };
  tailFloor: { ms: number[] };
  follow: {
    lines: number;
    seconds: number;
    tabLines: number;
    tabChars: number;
    lagMs: number;
    /** Documents the tab used while following (more than one: it moved to fresh ones, see log-documents.ts). */
    documents: number;
    extHost: { baseRssMb: number; peakRssMb: number; baseHeapMb: number; peakHeapMb: number; endRssMb: number };
    renderer: { baseHeapMb: number; peakHeapMb: number; endHeapMb: number } | undefined;
    cliFollowerPeakRssMb: number;
    cliFollowerLagMs: number;
  };
  notes: string[];
}

export async function runEditorLogsBench(): Promise<object> {
  const date = new Date().toISOString();
  const why = whyNoEditorLogsBench();
  if (why) {
    log(`editor-logs bench skipped: ${why}`);
    return { date, skipped: why };
  }
  const home = mkdtempSync('/tmp/psb-');
  const leaks = new LeakTracker(home);
  let client: DaemonClient | undefined;
  try {
    client = await connectDaemon({ home, daemonCommand: { command: process.execPath, args: [join(ROOT, 'dist', 'podsmith.js'), 'daemon'] }, clientName: 'bench' });
    const pod = await client.runPod({ manifest: POD, fileName: 'biglog.yaml' });
    leaks.uids.add(pod.uid);
    const dir = new PodPaths(home, pod.uid).logDir('app');
    const instances = await listInstances(dir);
    const live = instanceLogPath(dir, instances[instances.length - 1] ?? 0);
    log(`editor-logs: writing ${(EDITOR_LOGS_PLAN.bytes / GIB).toFixed(1)} GiB of CRI records into ${live} ...`);
    const t0 = Date.now();
    const big = writeBigLog(live, EDITOR_LOGS_PLAN.bytes);
    log(`editor-logs: ${big.lines} lines in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    // The daemon's rotator moves a live file over 10 MiB aside (.1); the big file is wherever it is now.
    const bigFile = [live, `${live}.1`].find((p) => existsSync(p) && statSync(p).size >= EDITOR_LOGS_PLAN.bytes * 0.9) ?? live;

    const inner = await runSuite(home, big.last, bigFile);
    const text = report(inner, big.lines, bigFile);
    process.stdout.write(text + '\n');
    return { date, plan: EDITOR_LOGS_PLAN, bigLogLines: big.lines, ...inner, text };
  } finally {
    for (const p of (await client?.listPods().catch(() => [])) ?? []) await client!.deletePod({ pod: p.uid, force: true }).catch(() => undefined);
    const pidFile = daemonPaths(home).pidFile;
    const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : undefined;
    await client?.shutdown().catch(() => undefined);
    client?.close();
    if (pid) for (let i = 0; i < 200 && alive(pid); i++) await new Promise((r) => setTimeout(r, 25));
    const left = await leaks.check();
    rmSync(home, { recursive: true, force: true });
    if (left.length) log(`editor-logs: LEFT BEHIND: ${left.join('; ')}`);
    else log('editor-logs: clean: no pod, daemon or file of the bench is left');
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The extension-host side (bench/editor-logs/suite.ts) in code-server; its result. */
async function runSuite(home: string, lastLine: string, bigFile: string): Promise<InnerResult> {
  const work = mkdtempSync('/tmp/psb-out-');
  const resultFile = join(work, 'result.json');
  // The launcher samples the workbench page's JS heap (after a GC) into this file; the suite reads it.
  const heapFile = join(work, 'renderer-heap.jsonl');
  process.env.PODSMITH_VSCODE_RENDERER_HEAP = heapFile;
  try {
    await runInExtensionHost('editor-logs', {
      PODSMITH_BENCH_HOME: home,
      PODSMITH_BENCH_OUT: resultFile,
      PODSMITH_BENCH_LAST: lastLine,
      PODSMITH_BENCH_FILE: bigFile,
      PODSMITH_BENCH_PLAN: JSON.stringify(EDITOR_LOGS_PLAN),
      PODSMITH_VSCODE_RENDERER_HEAP: heapFile,
    });
    return JSON.parse(readFileSync(resultFile, 'utf8')) as InnerResult;
  } finally {
    delete process.env.PODSMITH_VSCODE_RENDERER_HEAP;
    rmSync(work, { recursive: true, force: true });
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : NaN;
}

function report(r: InnerResult, lines: number, bigFile: string): string {
  const f = (ms: number) => `${ms.toFixed(ms < 100 ? 1 : 0)} ms`;
  const row = (name: string, ms: number[]) => `  ${name.padEnd(58)} ${f(median(ms)).padStart(9)}   (min ${f(Math.min(...ms))}, max ${f(Math.max(...ms))})`;
  const fm = r.follow;
  return [
    '',
    `Editor logs: the last ${EDITOR_LOGS_PLAN.tail} lines of a ${(EDITOR_LOGS_PLAN.bytes / GIB).toFixed(0)} GiB log (${lines} lines, ${bigFile}), medians of ${r.tab.ms.length} rounds`,
    row('log tab: command → last line in the tab and on screen', r.tab.ms),
    `  ${'  (first time in the window, connection included)'.padEnd(58)} ${f(r.tab.coldMs).padStart(9)}`,
    row(`VS Code opening a plain file of those ${EDITOR_LOGS_PLAN.tail} lines (an editor's floor)`, r.plainFile.ms),
    row(`podsmith logs --tail ${EDITOR_LOGS_PLAN.tail} (CLI, new process) → last line printed`, r.cli.ms),
    row(`tail -n ${EDITOR_LOGS_PLAN.tail} on the 1 GiB file (floor)`, r.tailFloor.ms),
    '',
    `Following a burst of ${fm.lines} lines (${fm.seconds.toFixed(1)} s, ${Math.round(fm.lines / fm.seconds)} lines/s):`,
    `  extension host RSS ${fm.extHost.baseRssMb.toFixed(0)} MB before, peak ${fm.extHost.peakRssMb.toFixed(0)} MB, ${fm.extHost.endRssMb.toFixed(0)} MB after; JS heap ${fm.extHost.baseHeapMb.toFixed(0)} → peak ${fm.extHost.peakHeapMb.toFixed(0)} MB`,
    fm.renderer
      ? `  editor (workbench page) JS heap after GC ${fm.renderer.baseHeapMb.toFixed(0)} MB before, peak ${fm.renderer.peakHeapMb.toFixed(0)} MB, ${fm.renderer.endHeapMb.toFixed(0)} MB after`
      : '  editor heap: not sampled',
    `  the tab holds ${fm.tabLines} lines (${(fm.tabChars / 1e6).toFixed(1)} M characters) at the end, in ${fm.documents} document${fm.documents === 1 ? '' : 's'} over the burst; last line on screen ${f(fm.lagMs)} after the writer finished`,
    `  podsmith logs -f following the same burst: peak RSS ${fm.cliFollowerPeakRssMb.toFixed(0)} MB; last line printed ${fm.cliFollowerLagMs < 0 ? 'never' : f(fm.cliFollowerLagMs)} after the writer finished`,
    ...r.notes.map((n) => `  note: ${n}`),
  ].join('\n');
}

if (require.main === module) {
  runEditorLogsBench().then(
    () => undefined,
    (err: Error) => {
      process.stderr.write(`${err.stack ?? err.message}\n`);
      process.exitCode = 1;
    },
  );
}
