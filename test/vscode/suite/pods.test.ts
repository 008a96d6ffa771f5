/// <reference types="mocha" />
// The editor as the engine's front end, on the real engine: a real daemon (started by the extension under a
// real Node, in a fresh PODSMITH_HOME set through podsmith.engine.home), real runc pods from the built-in
// image podsmith.local/busybox:1. Runs a pod through podsmith.pod.run and watches it in the tree's data and
// the CodeLens, a failed run's diagnostics, describe, port forward, a workload, stop/restart/delete, and
// the tree across a daemon killed and started again from outside. Nothing is left running afterwards.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { PodsmithApi } from '../../../client/extension';
import type { PodsTreeNode } from '../../../client/tree/pods-tree';
import { EXTENSION_ID, fixture, lineOf, open, revertAndCloseAll, setSetting } from './util';

const WAIT_MS = 60_000;

interface Shown {
  node: PodsTreeNode;
  label: string;
  description: string;
  contextValue?: string;
}

let api: PodsmithApi;

function label(item: vscode.TreeItem): string {
  return typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
}

async function shown(nodes: PodsTreeNode[]): Promise<Shown[]> {
  return Promise.all(
    nodes.map(async (node) => {
      const item = await api.testing.tree.getTreeItem(node);
      return { node, label: label(item), description: String(item.description ?? ''), contextValue: item.contextValue };
    }),
  );
}

/** The tree as the view shows it: host → pods (label, description) → containers. */
async function treeData(): Promise<{ host: Shown; pods: (Shown & { containers: Shown[] })[] }[]> {
  const tree = api.testing.tree;
  const hosts = await shown(await tree.getChildren());
  return Promise.all(
    hosts.map(async (host) => ({
      host,
      pods: await Promise.all((await shown(await tree.getChildren(host.node))).map(async (p) => ({ ...p, containers: await shown(await tree.getChildren(p.node)) }))),
    })),
  );
}

async function podShown(name: string): Promise<(Shown & { containers: Shown[] }) | undefined> {
  return (await treeData()).flatMap((h) => h.pods).find((p) => p.label === name);
}

/** Waits until `check` passes, re-checking whenever the tree says it changed; fails with the last state seen. */
function waitForTree<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = WAIT_MS): Promise<T> {
  return new Promise((resolve, reject) => {
    let done = false;
    let last = '';
    const finish = (fn: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sub.dispose();
      fn();
    };
    const attempt = () => {
      check().then(
        (v) => (v !== undefined ? finish(() => resolve(v)) : undefined),
        (e: Error) => (last = e.message),
      );
    };
    const timer = setTimeout(() => {
      void treeData().then((t) => finish(() => reject(new Error(`timed out waiting for ${what}${last ? ` (${last})` : ''}; engine ${api.testing.engineState()}; tree now:\n${JSON.stringify(t.map((h) => ({ host: h.host.label, pods: h.pods.map((p) => [p.label, p.description, p.containers.map((c) => [c.label, c.description])]) })), null, 1)}`))));
    }, timeoutMs);
    const sub = api.testing.tree.onDidChangeTreeData(attempt);
    attempt();
  });
}

function waitForPod(name: string, description: RegExp): Promise<Shown & { containers: Shown[] }> {
  return waitForTree(`pod ${name} to read ${description}`, async () => {
    const p = await podShown(name);
    return p && description.test(p.description) ? p : undefined;
  });
}

function waitForNoPod(name: string): Promise<true> {
  return waitForTree(`pod ${name} to leave the tree`, async () => ((await podShown(name)) ? undefined : true));
}

async function lensTitles(uri: vscode.Uri): Promise<string[]> {
  const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri)) ?? [];
  return lenses.map((l) => l.command?.title ?? '').filter(Boolean);
}

/** Waits (on CodeLens change events of the provider, via the store) until the titles satisfy `ok`. */
async function waitForLenses(uri: vscode.Uri, ok: (titles: string[]) => boolean, what: string): Promise<string[]> {
  const deadline = Date.now() + WAIT_MS;
  let titles = await lensTitles(uri);
  while (!ok(titles)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; lenses: ${JSON.stringify(titles)}`);
    // The lenses follow the pod store, which follows the tree's source: wait for the next tree change.
    await new Promise<void>((r) => {
      const t = setTimeout(r, 1000);
      const sub = api.testing.tree.onDidChangeTreeData(() => {
        clearTimeout(t);
        sub.dispose();
        r();
      });
    });
    titles = await lensTitles(uri);
  }
  return titles;
}

function runDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'podsmith run');
}

function httpGet(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

interface RunResult {
  pod?: string;
  outcome: string;
  status?: string;
  code?: string;
  error?: string;
}

const run = (arg: unknown): Promise<RunResult[]> => vscode.commands.executeCommand<RunResult[]>('podsmith.pod.run', arg) as Promise<RunResult[]>;

export function definePodsTests(): void {
  suite('pods on the real engine', function () {
    this.timeout(120_000);
    let home: string;
    let daemonPid: number | undefined;

    suiteSetup(async () => {
      const ext = vscode.extensions.getExtension<PodsmithApi>(EXTENSION_ID)!;
      api = await ext.activate();
      // A fresh engine home per suite; run.mjs passes one it checks for leftovers afterwards. Short: the
      // daemon's socket path must stay under 108 bytes.
      home = process.env.PODSMITH_VSCODE_ENGINE_HOME || mkdtempSync('/tmp/psv-');
      await setSetting('engine.home', home);
      await setSetting('pods.confirmDelete', false);
      const started = await vscode.commands.executeCommand<{ pid: number; home: string }>('podsmith.engine.start');
      assert.ok(started, 'the engine started');
      assert.equal(started.home, home, 'the daemon serves the home from podsmith.engine.home');
      daemonPid = started.pid;
    });

    suiteTeardown(async () => {
      await revertAndCloseAll();
      // Delete every pod and stop the daemon: nothing may outlive the suite (run.mjs checks it too).
      try {
        const client = await api.engine.client();
        for (const p of await client.listPods()) await client.deletePod({ pod: p.uid, force: true });
        await vscode.commands.executeCommand('podsmith.engine.stop');
      } finally {
        await setSetting('engine.home', undefined);
        await setSetting('pods.confirmDelete', undefined);
      }
    });

    test('the daemon runs under the node on PATH, not under the editor\'s runtime', async () => {
      assert.ok(daemonPid, 'the daemon reported its pid');
      const onPath = (process.env.PATH ?? '').split(':').map((d) => join(d, 'node')).find((p) => {
        try {
          accessSync(p, constants.X_OK);
          return true;
        } catch {
          return false;
        }
      });
      assert.ok(onPath, 'this machine has node on PATH');
      assert.equal(readlinkSync(`/proc/${daemonPid}/exe`), realpathSync(onPath));
      assert.notEqual(readlinkSync(`/proc/${daemonPid}/exe`), realpathSync(process.execPath), 'not the extension host\'s binary');
      assert.equal(api.testing.engineState(), 'connected');
      assert.equal(api.engine.refOf({ pod: 'p' })?.host, 'local', 'a plain reference gets the local host');
      assert.equal(api.engine.refOf({ host: 'local', pod: 'p', container: 'c' })?.container, 'c');
      assert.equal(api.engine.refOf('p'), undefined);
      assert.equal(api.engine.refOf({ pod: 3 }), undefined);
    });

    test('podsmith.pod.run runs a file\'s pod (with its ConfigMap) and the tree shows it Running', async () => {
      const doc = await open('pods/web.yaml');
      const results = await run(doc.uri);
      assert.deepEqual(results.map((r) => [r.pod, r.outcome, r.status]), [['vsc-web', 'running', 'Running']], JSON.stringify(results));
      const pod = await waitForPod('vsc-web', /^Running 2\/2 · pod-containers · /);
      assert.deepEqual(
        pod.containers.map((c) => [c.label, c.description, c.contextValue]),
        [
          ['http', 'running', 'podsmithContainer.running'],
          ['idle', 'running', 'podsmithContainer.running'],
        ],
      );
      assert.match(pod.contextValue ?? '', /^podsmithPod\.running/);
    });

    test('the CodeLens of a running pod\'s document shows its state and the pod commands', async () => {
      const uri = fixture('pods/web.yaml');
      const titles = await waitForLenses(uri, (t) => t.some((x) => x.includes('Running 2/2')), 'the Running lens');
      assert.deepEqual(titles, ['$(play) Run', '$(pass-filled) Running 2/2', 'Logs', 'Terminal', 'Stop', 'Delete']);
      const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri))!;
      const doc = await vscode.workspace.openTextDocument(uri);
      assert.equal(lenses[0]!.range.start.line, lineOf(doc, 'kind: Pod') - 1, 'the lenses sit on the Pod document\'s first line');
      assert.deepEqual(lenses.find((l) => l.command?.title === 'Stop')!.command!.arguments, [{ host: 'local', pod: 'vsc-web' }]);
    });

    test('describe opens a read-only document with status, conditions and events', async () => {
      const editor = await vscode.commands.executeCommand<vscode.TextEditor>('podsmith.pod.describe', { pod: 'vsc-web' });
      const text = editor!.document.getText();
      assert.equal(editor!.document.uri.scheme, 'podsmith-describe');
      assert.match(text, /^Name:\s+vsc-web$/m);
      assert.match(text, /^Status:\s+Running$/m);
      assert.match(text, /^Conditions:\n\s+Type\s+Status\n/m);
      assert.match(text, /^\s+Ready\s+True$/m);
      assert.match(text, /^Events:\n/m);
      assert.match(text, /Started\s+.*Started container http/);
    });

    test('port forward carries a local port to the pod\'s port, and copy IP gives the pod\'s address', async () => {
      const fwd = await vscode.commands.executeCommand<{ local: number; remote: number; url: string }>('podsmith.pod.portForward', { pod: 'vsc-web', port: 8080, open: false });
      assert.ok(fwd, 'the forward started');
      assert.equal(fwd.remote, 8080);
      try {
        assert.equal(await httpGet(fwd.local), 'served from the pod\n');
      } finally {
        assert.equal(await vscode.commands.executeCommand('podsmith.pod.stopPortForward', { localPort: fwd.local }), 1);
      }
      await assert.rejects(httpGet(fwd.local), 'the port is closed after Stop');
      const client = await api.engine.client();
      const ip = (await client.getPod('vsc-web')).podIP;
      assert.equal(await vscode.commands.executeCommand('podsmith.pod.copyIp', { pod: 'vsc-web' }), ip);
    });

    test('a failed run puts the engine\'s error on the manifest line it names, and leaves no pod', async () => {
      const doc = await open('pods/failing.yaml');
      const results = await run(doc.uri);
      assert.deepEqual(results.map((r) => [r.pod, r.outcome, r.code]), [
        ['vsc-init-fails', 'failed', 'INIT_FAILED'],
        ['vsc-no-such-binary', 'failed', 'START_FAILED'],
      ], JSON.stringify(results));
      const diags = runDiagnostics(doc.uri);
      const lines = diags.map((d) => d.range.start.line).sort((a, b) => a - b);
      assert.deepEqual(lines, [lineOf(doc, '- name: setup'), lineOf(doc, 'command: ["/no/such/binary"]')], diags.map((d) => `${d.range.start.line}: ${d.message}`).join('\n'));
      const init = diags.find((d) => d.code === 'INIT_FAILED')!;
      assert.match(init.message, /init container "setup" failed with exit code 1/);
      assert.match(init.message, /preparing/, 'the container\'s last output is in the diagnostic');
      assert.equal(init.severity, vscode.DiagnosticSeverity.Error);
      const names = (await (await api.engine.client()).listPods()).map((p) => p.name);
      assert.ok(!names.includes('vsc-init-fails') && !names.includes('vsc-no-such-binary'), `a failed run leaves nothing: ${names}`);
      // The first edit makes the positions stale: the run's diagnostics go.
      const editor = await vscode.window.showTextDocument(doc);
      await editor.edit((e) => e.insert(new vscode.Position(0, 0), '# edited\n'));
      assert.deepEqual(runDiagnostics(doc.uri), []);
    });

    test('a manifest with linter errors is refused before anything runs', async () => {
      const doc = await open('bad-pod.yaml');
      const results = await run(doc.uri);
      assert.equal(results.length, 1);
      assert.equal(results[0]!.outcome, 'blocked');
      assert.match(results[0]!.error ?? '', /^Cannot run bad-pod\.yaml: the manifest has \d+ errors \(line \d+: /);
    });

    test('running an existing pod again replaces it (when the caller says so)', async () => {
      const before = await (await api.engine.client()).getPod('vsc-web');
      const results = await run({ uri: fixture('pods/web.yaml').toString(), index: 1, replace: true });
      assert.deepEqual(results.map((r) => [r.pod, r.outcome]), [['vsc-web', 'running']]);
      const after = await (await api.engine.client()).getPod('vsc-web');
      assert.notEqual(after.uid, before.uid, 'a new pod');
      await waitForPod('vsc-web', /^Running 2\/2/);
    });

    test('Cancel during a run removes the pod being created', async () => {
      const running = run(fixture('pods/slow.yaml'));
      await waitForPod('vsc-slow', /^Init:0\/1/);
      assert.equal(api.testing.cancelRuns(), 1, 'one run in progress');
      const results = await running;
      assert.deepEqual(results.map((r) => [r.pod, r.outcome]), [['vsc-slow', 'cancelled']]);
      await waitForNoPod('vsc-slow');
      const names = (await (await api.engine.client()).listPods()).map((p) => p.name);
      assert.ok(!names.includes('vsc-slow'), `the cancelled pod is gone: ${names}`);
    });

    test('a Deployment runs as one pod named after it, from its own CodeLens', async () => {
      const uri = fixture('pods/deploy.yaml');
      await open('pods/deploy.yaml');
      const lens = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri))![0]!;
      assert.equal(lens.command!.title, '$(play) Run as pod');
      const results = (await vscode.commands.executeCommand<RunResult[]>(lens.command!.command, ...(lens.command!.arguments ?? [])))!;
      assert.deepEqual(results.map((r) => [r.pod, r.outcome]), [['vsc-deploy', 'running']]);
      await waitForPod('vsc-deploy', /^Running 1\/1/);
    });

    test('stop takes a tree item, and the tree and CodeLens follow the pod', async () => {
      const pod = await waitForPod('vsc-deploy', /^Running/);
      const host = (await treeData()).find((h) => h.pods.some((p) => p.label === 'vsc-deploy'))!.host;
      const refreshed: (PodsTreeNode | undefined)[] = [];
      const sub = api.testing.tree.onDidChangeTreeData((n) => refreshed.push(n ?? undefined));
      const status = await vscode.commands.executeCommand<{ phase: string }>('podsmith.pod.stop', pod.node);
      assert.equal(status?.phase, 'Succeeded');
      const stopped = await waitForPod('vsc-deploy', /^Completed 0\/1/);
      sub.dispose();
      assert.ok(refreshed.length > 0);
      // The host's row counts running pods: it is redrawn when that count moves (here, one pod fewer running).
      assert.ok(refreshed.every((n) => n === pod.node || n === host.node), 'a pod\'s change refreshes that pod\'s subtree, or its host\'s when the running count moved; never the whole tree');
      assert.ok(refreshed.includes(host.node), 'the host row is redrawn: its running count changed');
      assert.match((await treeData()).find((h) => h.host.label === host.label)!.host.description, new RegExp(`, ${Number(/(\d+) running/.exec(host.description)![1]) - 1} running$`));
      assert.match(stopped.containers[0]!.description, /^Completed \(exit 0\)/);
      const titles = await waitForLenses(fixture('pods/deploy.yaml'), (t) => t.some((x) => x.includes('Completed')), 'the Completed lens');
      assert.deepEqual(titles, ['$(play) Run as pod', '$(check) Completed 0/1', 'Logs', 'Delete']);
    });

    test('restart runs the pod again from the manifest document it came from', async () => {
      const results = await vscode.commands.executeCommand<RunResult[]>('podsmith.pod.restart', { pod: 'vsc-deploy' });
      assert.deepEqual(results?.map((r) => [r.pod, r.outcome]), [['vsc-deploy', 'running']]);
      await waitForPod('vsc-deploy', /^Running 1\/1/);
    });

    test('delete removes the pod from the tree', async () => {
      assert.equal(await vscode.commands.executeCommand('podsmith.pod.delete', { pod: 'vsc-deploy' }), true);
      await waitForNoPod('vsc-deploy');
      const lenses = await lensTitles(fixture('pods/deploy.yaml'));
      assert.deepEqual(lenses, ['$(play) Run as pod'], 'no pod: only Run');
    });

    test('the doctor report opens as a document', async () => {
      const editor = await vscode.commands.executeCommand<vscode.TextEditor>('podsmith.engine.doctor');
      const text = editor!.document.getText();
      assert.equal(editor!.document.uri.scheme, 'podsmith-doctor');
      assert.ok(text.startsWith(`PODSMITH_HOME: ${home}\n`), text.slice(0, 200));
      assert.match(text, /^Node for the engine: \S+ \(Node \d+\.\d+\.\d+, from PATH\)$/m);
      assert.match(text, /oci-runtime/);
    });

    test('an engine that cannot start says why in the view, and comes back when the settings are fixed', async () => {
      const other = mkdtempSync('/tmp/psv-');
      await setSetting('engine.nodePath', '/bin/false');
      await setSetting('engine.home', other);
      try {
        assert.equal(await vscode.commands.executeCommand('podsmith.engine.start'), undefined);
        assert.equal(api.testing.engineState(), 'unavailable');
        assert.match(api.testing.viewMessage() ?? '', /^The Podsmith engine is not available: podsmith\.engine\.nodePath: \/bin\/false does not run as Node/);
        assert.deepEqual(await treeData(), []);
        // Linting does not depend on the engine.
        const bad = await open('bad-pod.yaml');
        assert.ok(vscode.languages.getDiagnostics(bad.uri).some((d) => d.source === 'podsmith'));
      } finally {
        await setSetting('engine.nodePath', undefined);
        await setSetting('engine.home', home);
        rmSync(other, { recursive: true, force: true });
      }
      const started = await vscode.commands.executeCommand<{ home: string }>('podsmith.engine.start');
      assert.equal(started?.home, home);
      assert.equal(api.testing.viewMessage(), undefined);
      await waitForPod('vsc-web', /^Running 2\/2/);
    });

    test('the tree stays correct across a daemon killed and started again by someone else', async () => {
      const client = await api.engine.client();
      const pid = client.info!.pid;
      process.kill(pid, 'SIGKILL');
      await waitForTree('the engine to notice the daemon is gone', async () => (api.testing.engineState() === 'stopped' ? true : undefined));
      assert.deepEqual(await treeData(), [], 'no daemon, no pods shown (the welcome content says the engine stopped)');

      // Someone (the CLI) starts a daemon: the extension reconnects by itself, and the pod kept running.
      const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
      const daemon = spawn('node', [join(ext.extensionPath, 'dist', 'podsmith.js'), 'daemon'], {
        detached: true,
        stdio: 'ignore',
        env: { ...process.env, PODSMITH_HOME: home, VSCODE_IPC_HOOK: undefined, ELECTRON_RUN_AS_NODE: undefined },
      });
      daemon.unref();
      await waitForPod('vsc-web', /^Running 2\/2/);
      assert.equal(api.testing.engineState(), 'connected');
      const again = await api.engine.client();
      assert.notEqual(again.info!.pid, pid, 'a new daemon');

      // Events of the new daemon reach the tree: the subscription came back with the connection.
      await again.stopPod({ pod: 'vsc-web', gracePeriodSeconds: 2 });
      await waitForPod('vsc-web', /^(Completed|Error) 0\/2/);
    });
  });
}
