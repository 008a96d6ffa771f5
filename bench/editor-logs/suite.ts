// The extension-host side of `npm run bench -- --only editor-logs` (bench/editor-logs.ts prepares the engine and
// the 1 GiB log, and runs this in code-server). Measures, rounds alternating: the log tab's time from command
// to its last line on screen, the CLI's `podsmith logs --tail`, and `tail -n` on the file; then the extension
// host's memory while the tab follows a burst, next to a `podsmith logs -f` process following it too.
import { spawn } from 'node:child_process';
import { closeSync, fstatSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import { connectDaemon } from '../../engine/client/connect';

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this through npm run bench -- --only editor-logs`);
  return v;
};

function say(line: string): void {
  console.log(`[ext-test] ${line}`);
}

const mb = (bytes: number): number => bytes / 1024 / 1024;

/** Resolves when `check` holds, looking at each document change and visible-range change; rejects after `ms`. */
function until(check: () => boolean, what: string, ms = 60_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const subs: vscode.Disposable[] = [];
    const done = (err?: Error): void => {
      clearTimeout(timer);
      clearInterval(poll);
      for (const s of subs) s.dispose();
      if (err) reject(err);
      else resolve();
    };
    const look = (): void => {
      if (check()) done();
    };
    const timer = setTimeout(() => done(new Error(`timed out waiting for ${what}`)), ms);
    // Events drive it; the interval only covers a change that fires no event this side sees.
    const poll = setInterval(look, 20);
    subs.push(vscode.workspace.onDidChangeTextDocument(look), vscode.window.onDidChangeTextEditorVisibleRanges(look));
    look();
  });
}

/** Runs a command to its end; resolves with the time until its output held `needle` and it exited. */
function timed(command: string, args: string[], needle: string, childEnv: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv });
    let tail = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (tail = (tail + b.toString()).slice(-4096)));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - t0;
      if (code !== 0 || !tail.includes(needle)) reject(new Error(`${command} ${args.join(' ')} exited ${code} without the last line: ${err.slice(0, 300)}`));
      else resolve(ms);
    });
  });
}

function lastVisible(editor: vscode.TextEditor): number {
  return editor.visibleRanges[editor.visibleRanges.length - 1]?.end.line ?? -1;
}

export async function run(): Promise<void> {
  const home = env('PODSMITH_BENCH_HOME');
  const lastLine = env('PODSMITH_BENCH_LAST');
  const bigFile = env('PODSMITH_BENCH_FILE');
  const node = env('PODSMITH_BENCH_NODE');
  const plan = JSON.parse(env('PODSMITH_BENCH_PLAN')) as { tail: number; rounds: number; burstLines: number };
  const ext = vscode.extensions.getExtension('podsmith.podsmith')!;
  const cli = join(ext.extensionPath, 'dist', 'podsmith.js');
  const notes: string[] = [];
  await vscode.workspace.getConfiguration('podsmith').update('engine.home', home, vscode.ConfigurationTarget.Global);
  await ext.activate();

  const openTab = async (): Promise<{ ms: number; editor: vscode.TextEditor }> => {
    const t0 = performance.now();
    const editor = await vscode.commands.executeCommand<vscode.TextEditor>('podsmith.pod.logs', { pod: 'biglog', container: 'app', tail: plan.tail });
    await until(() => {
      const doc = editor.document;
      return doc.lineAt(doc.lineCount - 1).text === lastLine && lastVisible(editor) >= doc.lineCount - 1;
    }, 'the last line in the tab and on screen');
    return { ms: performance.now() - t0, editor };
  };
  const closeTabs = () => vscode.commands.executeCommand('workbench.action.closeAllEditors');

  // The floor of any tab: VS Code opening a plain file of the same 1000 lines and showing its last line.
  const floorDir = mkdtempSync('/tmp/psb-floor-');
  const plain = vscode.Uri.file(join(floorDir, 'tail.log'));
  const openFile = async (): Promise<number> => {
    writeFileSync(plain.fsPath, tailOf(bigFile, plan.tail * 200).split('\n').slice(-plan.tail - 1, -1).map((l) => l.replace(/^\S+ \S+ \S+ /, '')).join('\n'));
    const t0 = performance.now();
    const doc = await vscode.workspace.openTextDocument(plain);
    const editor = await vscode.window.showTextDocument(doc, { preview: false });
    const end = new vscode.Position(doc.lineCount - 1, 0);
    editor.selection = new vscode.Selection(end, end);
    editor.revealRange(new vscode.Range(end, end));
    await until(() => doc.lineAt(doc.lineCount - 1).text === lastLine && lastVisible(editor) >= doc.lineCount - 1, 'the plain file\'s last line on screen');
    return performance.now() - t0;
  };

  // Cold: the first time in this window (the extension connects to the daemon).
  const cold = await openTab();
  if (cold.editor.document.lineCount !== plan.tail) notes.push(`the tab held ${cold.editor.document.lineCount} lines, not ${plan.tail}`);
  await closeTabs();
  const tab: number[] = [];
  const cliMs: number[] = [];
  const floor: number[] = [];
  const fileMs: number[] = [];
  const podsmithEnv = { ...process.env, PODSMITH_HOME: home };
  for (let round = 0; round < plan.rounds; round++) {
    const order = [0, 1, 2, 3].map((i) => (i + round) % 4);
    for (const which of order) {
      if (which === 0) {
        tab.push((await openTab()).ms);
        await closeTabs();
      } else if (which === 1) {
        cliMs.push(await timed(node, [cli, 'logs', '--tail', String(plan.tail), 'biglog'], lastLine, podsmithEnv));
      } else if (which === 2) {
        floor.push(await timed('tail', ['-n', String(plan.tail), bigFile], lastLine));
      } else {
        fileMs.push(await openFile());
        await closeTabs();
      }
    }
    say(`round ${round + 1}/${plan.rounds}: tab ${tab.at(-1)!.toFixed(0)} ms, plain file ${fileMs.at(-1)!.toFixed(0)} ms, CLI ${cliMs.at(-1)!.toFixed(0)} ms, tail ${floor.at(-1)!.toFixed(1)} ms`);
  }
  rmSync(floorDir, { recursive: true, force: true });

  if (plan.burstLines === 0) {
    writeFileSync(env('PODSMITH_BENCH_OUT'), JSON.stringify({ tab: { coldMs: cold.ms, ms: tab }, plainFile: { ms: fileMs }, cli: { ms: cliMs }, tailFloor: { ms: floor }, notes }, null, 2));
    return;
  }
  // Memory while following a burst: the tab and a CLI follower side by side.
  const heapFile = process.env.PODSMITH_VSCODE_RENDERER_HEAP;
  const heapSamples = (): { t: number; usedBytes: number }[] => {
    try {
      return readFileSync(heapFile!, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { t: number; usedBytes: number });
    } catch {
      return [];
    }
  };
  const { editor } = await openTab();
  const follower = spawn(node, [cli, 'logs', '-f', '--tail', String(plan.tail), 'biglog'], { stdio: ['ignore', 'pipe', 'ignore'], env: podsmithEnv });
  const lastBurst = `burst line ${plan.burstLines - 1} the quick brown fox jumps over the lazy dog`;
  let followerTail = '';
  let followerDone: number | undefined;
  follower.stdout!.on('data', (b: Buffer) => {
    followerTail = (followerTail + b.toString()).slice(-200);
    if (followerDone === undefined && followerTail.includes(lastBurst)) followerDone = performance.now();
  });
  const rssOf = (pid: number): number => {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return m ? Number(m[1]) / 1024 : 0;
    } catch {
      return 0;
    }
  };
  const documents = new Set<string>([editor.document.uri.toString()]);
  const opened = vscode.workspace.onDidOpenTextDocument((d) => d.uri.scheme === 'podsmith-log' && documents.add(d.uri.toString()));
  const base = process.memoryUsage();
  const burstStart = Date.now();
  const rendererBase = heapSamples().at(-1)?.usedBytes;
  let peakRss = base.rss;
  let peakHeap = base.heapUsed;
  let cliPeak = 0;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
    if (follower.pid) cliPeak = Math.max(cliPeak, rssOf(follower.pid));
  }, 100);
  const client = await connectDaemon({ home, autoStart: false, clientName: 'bench-writer' });
  const last = lastBurst;
  const t0 = performance.now();
  const exec = await client.exec({
    pod: 'biglog',
    container: 'app',
    command: ['sh', '-c', `i=0; while [ $i -lt ${plan.burstLines} ]; do echo "burst line $i the quick brown fox jumps over the lazy dog"; i=$((i+1)); done > /proc/1/fd/1`],
    tty: false,
    stdin: false,
  });
  exec.stdout.resume();
  exec.stderr.resume();
  await exec.ended;
  const wrote = performance.now();
  // The tab may have moved to a fresh document (a later generation) meanwhile: look at the active editor.
  const active = (): vscode.TextEditor => vscode.window.activeTextEditor ?? editor;
  await until(() => {
    const ed = active();
    return ed.document.uri.scheme === 'podsmith-log' && ed.document.lineAt(ed.document.lineCount - 1).text === last && lastVisible(ed) >= ed.document.lineCount - 1;
  }, 'the burst\'s last line on screen', 300_000);
  const shown = performance.now();
  await until(() => followerDone !== undefined, 'the CLI follower to print the burst\'s last line', 120_000).catch(() => undefined);
  // One more heap sample after the tab caught up.
  const caughtUp = Date.now();
  await new Promise((r) => setTimeout(r, 2500));
  const during = heapSamples().filter((x) => x.t >= burstStart);
  const after = during.filter((x) => x.t >= caughtUp + 1000).at(-1)?.usedBytes;
  const renderer = rendererBase !== undefined && during.length > 0 && after !== undefined
    ? { baseHeapMb: mb(rendererBase), peakHeapMb: mb(Math.max(...during.map((x) => x.usedBytes))), endHeapMb: mb(after) }
    : undefined;
  const final = active();
  opened.dispose();
  clearInterval(sampler);
  const end = process.memoryUsage();
  follower.kill('SIGINT');
  client.close();
  const result = {
    tab: { coldMs: cold.ms, ms: tab },
    plainFile: { ms: fileMs },
    cli: { ms: cliMs },
    tailFloor: { ms: floor },
    follow: {
      lines: plan.burstLines,
      seconds: (wrote - t0) / 1000,
      tabLines: final.document.lineCount,
      tabChars: final.document.getText().length,
      lagMs: shown - wrote,
      documents: documents.size,
      renderer,
      extHost: { baseRssMb: mb(base.rss), peakRssMb: mb(peakRss), baseHeapMb: mb(base.heapUsed), peakHeapMb: mb(peakHeap), endRssMb: mb(end.rss) },
      cliFollowerPeakRssMb: cliPeak,
      cliFollowerLagMs: followerDone === undefined ? -1 : followerDone - wrote,
    },
    notes,
  };
  await closeTabs();
  await vscode.workspace.getConfiguration('podsmith').update('engine.home', undefined, vscode.ConfigurationTarget.Global);
  writeFileSync(env('PODSMITH_BENCH_OUT'), JSON.stringify(result, null, 2));
}

/** The last `bytes` bytes of a file as text (the log is 1 GiB: more than one string can hold). */
function tailOf(file: string, bytes: number): string {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.alloc(Math.min(bytes, size));
    readSync(fd, buf, 0, buf.length, size - buf.length);
    return buf.toString('utf8');
  } finally {
    closeSync(fd);
  }
}
