// The extension-host side of `npm run bench -- --only editor-run` (bench/editor-run.ts starts the engine and
// runs this in code-server). Rounds alternate which goes first:
//   - editor: `podsmith.pod.run` on the manifest's Uri until the Podsmith view's data (the tree provider the
//     view renders) shows the pod Running; also when the command itself resolved;
//   - CLI: `podsmith run -f` (dist/podsmith.js, a new Node process, as from a shell) until it exited having
//     printed `pod/NAME Running`; and when the same tree showed that pod Running (the view following a pod it
//     did not start, through the daemon's event stream).
// Between rounds the pod is deleted through the daemon and the tree is seen empty again.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import type { PodsmithApi } from '../../client/extension';
import type { PodsTreeNode } from '../../client/tree/pods-tree';
import { connectDaemon } from '../../engine/client/connect';

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this through npm run bench -- --only editor-run`);
  return v;
};

function say(line: string): void {
  console.log(`[ext-bench] ${line}`);
}

export interface EditorRunResult {
  editorTreeMs: number[];
  editorCommandMs: number[];
  cliMs: number[];
  cliTreeMs: number[];
  notes: string[];
}

export async function run(): Promise<void> {
  const home = env('PODSMITH_BENCH_HOME');
  const manifest = env('PODSMITH_BENCH_MANIFEST');
  const pod = env('PODSMITH_BENCH_POD');
  const node = env('PODSMITH_BENCH_NODE');
  const out = env('PODSMITH_BENCH_OUT');
  const plan = JSON.parse(env('PODSMITH_BENCH_PLAN')) as { rounds: number; warmup: number };
  const ext = vscode.extensions.getExtension<PodsmithApi>('podsmith.podsmith')!;
  const cli = `${ext.extensionPath}/dist/podsmith.js`;
  await vscode.workspace.getConfiguration('podsmith').update('engine.home', home, vscode.ConfigurationTarget.Global);
  const api = await ext.activate();
  const tree = api.testing.tree;
  const client = await connectDaemon({ home, daemonCommand: { command: node, args: [cli, 'daemon'] }, clientName: 'bench-editor-run' });
  const notes: string[] = [];

  /** The pod's description in the tree's data ("Running 2/2 · pod-containers · 1s"), or undefined. */
  const shown = async (): Promise<string | undefined> => {
    const level = async (nodes: PodsTreeNode[]): Promise<string | undefined> => {
      for (const n of nodes) {
        const item = await tree.getTreeItem(n);
        const label = typeof item.label === 'string' ? item.label : item.label?.label;
        if (label === pod && item.contextValue?.startsWith('podsmithPod')) return String(item.description ?? '');
      }
      return undefined;
    };
    for (const host of await tree.getChildren()) {
      const d = await level(await tree.getChildren(host));
      if (d !== undefined) return d;
    }
    return undefined;
  };
  /** Resolves with the time `check` first held, looking again on each tree change; rejects after 60 s. */
  const whenTree = (check: (description: string | undefined) => boolean, what: string): Promise<number> =>
    new Promise((resolve, reject) => {
      let done = false;
      const finish = (f: () => void) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        sub.dispose();
        f();
      };
      const look = () => void shown().then((d) => check(d) && finish(() => resolve(performance.now())), (e: Error) => finish(() => reject(e)));
      const timer = setTimeout(() => finish(() => reject(new Error(`timed out waiting for ${what}`))), 60_000);
      const sub = tree.onDidChangeTreeData(look);
      look();
    });
  const running = (d: string | undefined) => d !== undefined && d.startsWith('Running');

  const removePod = async () => {
    for (const p of await client.listPods()) await client.deletePod({ pod: p.uid, force: true });
    await whenTree((d) => d === undefined, 'the pod to leave the tree');
  };

  const editorRound = async (): Promise<{ tree: number; command: number }> => {
    const t0 = performance.now();
    const seen = whenTree(running, 'the pod Running in the tree (editor run)');
    let commandAt = 0;
    const command = Promise.resolve(vscode.commands.executeCommand<{ outcome: string }[]>('podsmith.pod.run', vscode.Uri.file(manifest))).then((r) => {
      commandAt = performance.now();
      if (!r?.every((x) => x.outcome === 'running')) throw new Error(`podsmith.pod.run: ${JSON.stringify(r)}`);
    });
    const treeAt = await seen;
    await command;
    return { tree: treeAt - t0, command: commandAt - t0 };
  };

  const cliRound = (): Promise<{ cli: number; tree: number }> =>
    new Promise((resolve, reject) => {
      const t0 = performance.now();
      const seen = whenTree(running, 'the pod Running in the tree (CLI run)');
      const child = spawn(node, [cli, 'run', '-f', manifest], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PODSMITH_HOME: home } });
      let text = '';
      child.stdout.on('data', (b: Buffer) => (text += b.toString()));
      child.stderr.on('data', (b: Buffer) => (text += b.toString()));
      child.on('error', reject);
      child.on('close', (code) => {
        const cliAt = performance.now();
        if (code !== 0 || !text.includes(`pod/${pod} Running`)) return reject(new Error(`podsmith run -f exited ${code}: ${text.slice(0, 400)}`));
        seen.then((treeAt) => resolve({ cli: cliAt - t0, tree: treeAt - t0 }), reject);
      });
    });

  const result: EditorRunResult = { editorTreeMs: [], editorCommandMs: [], cliMs: [], cliTreeMs: [], notes };
  try {
    await removePod();
    for (let round = 0; round < plan.warmup + plan.rounds; round++) {
      const measured = round >= plan.warmup;
      for (const which of round % 2 ? ['cli', 'editor'] : ['editor', 'cli']) {
        if (which === 'editor') {
          const r = await editorRound();
          if (measured) {
            result.editorTreeMs.push(r.tree);
            result.editorCommandMs.push(r.command);
          }
        } else {
          const r = await cliRound();
          if (measured) {
            result.cliMs.push(r.cli);
            result.cliTreeMs.push(r.tree);
          }
        }
        await removePod();
      }
      say(`round ${round + 1}/${plan.warmup + plan.rounds}${measured ? '' : ' (warm-up)'}`);
    }
  } finally {
    await removePod().catch(() => undefined);
    client.close();
    await vscode.workspace.getConfiguration('podsmith').update('engine.home', undefined, vscode.ConfigurationTarget.Global);
  }
  writeFileSync(out, JSON.stringify(result));
}
