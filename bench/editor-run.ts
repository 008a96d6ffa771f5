// `npm run bench -- --only editor-run`: running a manifest from the editor against running it from a shell. The
// real engine (daemon from dist/, started here and warm) and code-server's real extension host (the VS Code test
// harness, test/vscode, as bench/editor-logs.ts uses it) measure, rounds alternating which goes first:
//   - the Run command (`podsmith.pod.run` on the file) until the Podsmith view's data shows the pod Running;
//   - `podsmith run -f` on the same file (dist/podsmith.js, a new Node process) until it printed Running and
//     exited;
// and, on the side, when the run command resolved and when the view showed the CLI's pod Running.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runInExtensionHost } from './extension-host';
import { connectDaemon } from '../engine/client/connect';
import type { DaemonClient } from '../engine/client/daemon-client';
import { daemonPaths } from '../engine/daemon/paths';
import { whyNoNativePods } from '../test/pods/fixtures';
import { LeakTracker } from '../test/support/leaks';
import type { EditorRunResult } from './editor-run/suite';
import { summarize, type Stats } from './stats';

const ROOT = resolve(__dirname, '..');
export const EDITOR_RUN_PLAN = { warmup: 2, rounds: 10 };
const POD_NAME = 'bench-run';

// Two containers from the built-in image, no probes: what is measured is the path from the command to the
// pod running, not the pod's own start-up.
const MANIFEST = `apiVersion: v1
kind: Pod
metadata:
  name: ${POD_NAME}
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: a
      image: podsmith.local/busybox:1
      command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]
    - name: b
      image: podsmith.local/busybox:1
      command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]
`;

function log(s: string): void {
  process.stderr.write(s + '\n');
}

/** Why this part cannot run here, or undefined. */
export function whyNoEditorRunBench(): string | undefined {
  const native = whyNoNativePods();
  if (native) return native;
  if (!existsSync(join(ROOT, 'test', 'vscode', '.toolchain', 'toolchain.json'))) return 'the VS Code test toolchain is not installed (bash test/vscode/setup.sh)';
  if (!existsSync(join(ROOT, 'dist', 'podsmith.js')) || !existsSync(join(ROOT, 'dist', 'client.js'))) return 'dist/ is not built (npm run build)';
  return undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function runEditorRunBench(): Promise<object> {
  const date = new Date().toISOString();
  const why = whyNoEditorRunBench();
  if (why) {
    log(`editor-run bench skipped: ${why}`);
    return { date, skipped: why };
  }
  const home = mkdtempSync('/tmp/psb-');
  const work = mkdtempSync('/tmp/psb-run-');
  const manifest = join(work, 'bench-run.yaml');
  writeFileSync(manifest, MANIFEST);
  const leaks = new LeakTracker(home);
  let client: DaemonClient | undefined;
  try {
    client = await connectDaemon({ home, daemonCommand: { command: process.execPath, args: [join(ROOT, 'dist', 'podsmith.js'), 'daemon'] }, clientName: 'bench' });
    // Every pod either side runs, for the leak check at the end.
    await client.subscribe({}, (e) => {
      if (e.type !== 'pull') leaks.uids.add(e.uid);
    });
    const inner = await runSuite(home, manifest, work);
    const r = {
      editorTree: summarize(inner.editorTreeMs),
      editorCommand: summarize(inner.editorCommandMs),
      cli: summarize(inner.cliMs),
      cliTree: summarize(inner.cliTreeMs),
    };
    const text = report(r, inner.notes);
    process.stdout.write(text + '\n');
    return {
      date,
      plan: EDITOR_RUN_PLAN,
      ...r,
      // Editor ÷ CLI, each to the pod Running.
      ratio: { p50: r.editorTree.p50 / r.cli.p50, p95: r.editorTree.p95 / r.cli.p95, mean: r.editorTree.mean / r.cli.mean },
      samples: inner,
      text,
    };
  } finally {
    for (const p of (await client?.listPods().catch(() => [])) ?? []) await client!.deletePod({ pod: p.uid, force: true }).catch(() => undefined);
    const pidFile = daemonPaths(home).pidFile;
    const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : undefined;
    await client?.shutdown().catch(() => undefined);
    client?.close();
    if (pid) for (let i = 0; i < 200 && alive(pid); i++) await new Promise((r) => setTimeout(r, 25));
    const left = await leaks.check();
    rmSync(home, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
    if (left.length) log(`editor-run: LEFT BEHIND: ${left.join('; ')}`);
    else log('editor-run: clean: no pod, daemon or file of the bench is left');
  }
}

/** The extension-host side (bench/editor-run/suite.ts) in code-server; its result. */
async function runSuite(home: string, manifest: string, work: string): Promise<EditorRunResult> {
  const resultFile = join(work, 'result.json');
  await runInExtensionHost('editor-run', {
    PODSMITH_BENCH_HOME: home,
    PODSMITH_BENCH_MANIFEST: manifest,
    PODSMITH_BENCH_POD: POD_NAME,
    PODSMITH_BENCH_OUT: resultFile,
    PODSMITH_BENCH_PLAN: JSON.stringify(EDITOR_RUN_PLAN),
  });
  return JSON.parse(readFileSync(resultFile, 'utf8')) as EditorRunResult;
}

function report(r: { editorTree: Stats; editorCommand: Stats; cli: Stats; cliTree: Stats }, notes: string[]): string {
  const f = (ms: number) => `${ms.toFixed(0)} ms`;
  const row = (name: string, s: Stats) => `  ${name.padEnd(62)} ${f(s.p50).padStart(7)} ${f(s.p95).padStart(7)} ${f(s.min).padStart(7)} ${f(s.max).padStart(7)}`;
  return [
    '',
    `Editor run: a 2-container pod (built-in image) from the Run command vs \`podsmith run -f\` from a shell, warm daemon, ${r.editorTree.n} rounds`,
    `  ${''.padEnd(62)} ${'p50'.padStart(7)} ${'p95'.padStart(7)} ${'min'.padStart(7)} ${'max'.padStart(7)}`,
    row('editor: podsmith.pod.run → Running in the Podsmith view\'s data', r.editorTree),
    row('  (the command resolved)', r.editorCommand),
    row('shell: podsmith run -f (new process) → printed Running, exited', r.cli),
    row('  (the view showed the CLI\'s pod Running)', r.cliTree),
    `  editor ÷ shell: p50 ${(r.editorTree.p50 / r.cli.p50).toFixed(2)}, p95 ${(r.editorTree.p95 / r.cli.p95).toFixed(2)}, mean ${(r.editorTree.mean / r.cli.mean).toFixed(2)}`,
    ...notes.map((n) => `  note: ${n}`),
  ].join('\n');
}

if (require.main === module) {
  runEditorRunBench().then(
    () => undefined,
    (err: Error) => {
      process.stderr.write(`${err.stack ?? err.message}\n`);
      process.exitCode = 1;
    },
  );
}
