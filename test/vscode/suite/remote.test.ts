/// <reference types="mocha" />
// A remote host from the editor, on a real sshd (Debian's, on 127.0.1.40 only) logging in as root with its own
// engine state: Add Remote Host (host key accepted once, written hashed), the tree showing the host connected,
// a pod run there from a workspace manifest (its image made there),
// a terminal in one of its containers (Open Terminal: a real pty there) and its log in a tab (Show Logs,
// following what the terminal writes to the container's stdout), describe, port-forward through the SSH
// connection, stop, delete; hosts the CLI adds showing up with their state (a changed host key refused, an
// unreachable host retried); and removing the host. Skipped where sshd or root is missing.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { PodsmithApi } from '../../../client/extension';
import type { PodsTreeNode } from '../../../client/tree/pods-tree';
import { TestClient, TestSshd, whyNoSshd } from '../../remote/support/sshd';
import { startEngine, type TestEngine } from './engine';
import { EXTENSION_ID, fixture, revertAndCloseAll } from './util';

const WAIT_MS = 120_000;
let api: PodsmithApi;

function label(item: vscode.TreeItem): string {
  return typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
}

/** Host lines and their pods, as the view shows them. */
async function tree(): Promise<{ host: string; description: string; context?: string; tooltip: string; pods: { name: string; description: string }[] }[]> {
  const t = api.testing.tree;
  const out = [];
  for (const node of await t.getChildren()) {
    const item = await t.getTreeItem(node);
    const pods = [];
    for (const p of await t.getChildren(node as PodsTreeNode)) {
      const pi = await t.getTreeItem(p);
      pods.push({ name: label(pi), description: String(pi.description ?? '') });
    }
    const tooltip = typeof item.tooltip === 'string' ? item.tooltip : (item.tooltip?.value ?? '');
    out.push({ host: label(item), description: String(item.description ?? ''), context: item.contextValue, tooltip, pods });
  }
  return out;
}

/** Resolves when `check` passes, checking on every tree change; fails with the tree it last saw. */
function waitForTree<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (fn: () => void): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sub.dispose();
      fn();
    };
    const attempt = (): void => void check().then((v) => (v !== undefined ? finish(() => resolve(v)) : undefined), () => {});
    const timer = setTimeout(() => void tree().then((t) => finish(() => reject(new Error(`timed out waiting for ${what}; tree: ${JSON.stringify(t)}`)))), WAIT_MS);
    const sub = api.testing.tree.onDidChangeTreeData(attempt);
    attempt();
  });
}

function httpGet(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A port on `address` that nothing listens on (bound, then closed). */
function closedPort(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, address, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** The terminal command's answer (client/terminal/index.ts). */
interface ExecTerminal {
  terminal: vscode.Terminal;
  onDidWrite: vscode.Event<string>;
}

/** Checks now and on every event of `on` until `check` passes; fails saying what it saw. */
function until(on: vscode.Event<unknown>[], check: () => boolean, saw: () => string, timeoutMs = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const subs: vscode.Disposable[] = [];
    const finish = (err?: Error): void => {
      clearTimeout(timer);
      for (const s of subs) s.dispose();
      if (err) reject(err);
      else resolve();
    };
    const look = (): void => void (check() && finish());
    const timer = setTimeout(() => finish(new Error(`timed out after ${timeoutMs} ms waiting for ${saw()}`)), timeoutMs);
    for (const e of on) subs.push(e(look));
    look();
  });
}

export function defineRemoteTests(): void {
  const skip = whyNoSshd();
  suite('a remote host over SSH', function () {
    this.timeout(WAIT_MS * 2);
    /** A second sshd whose key known_hosts has wrong. */
    let other: TestSshd | undefined;
    /** `podsmith host ...` with the extension's CLI, in the test client's environment. */
    const podsmith = (args: string[]) => {
      const cli = join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'dist', 'podsmith.js');
      const r = spawnSync(process.execPath, [cli, ...args], { env: client.env(), encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 0, `podsmith ${args.join(' ')}: ${r.stderr}`);
    };
    let client: TestClient;
    let host: TestSshd;
    // This machine's engine, which the view shows beside the remote host (and so starts): a home of the
    // suite's own, not the machine's default one, stopped and checked for leftovers at the end.
    let local: TestEngine | undefined;
    const saved = { HOME: process.env.HOME, XDG_CONFIG_HOME: process.env.XDG_CONFIG_HOME, SSH_AUTH_SOCK: process.env.SSH_AUTH_SOCK };

    suiteSetup(async function () {
      if (skip) return this.skip();
      api = await vscode.extensions.getExtension<PodsmithApi>(EXTENSION_ID)!.activate();
      local = await startEngine();
      client = new TestClient();
      host = await new TestSshd({ index: 40, authorizedKeys: [client.publicKey] }).start();
      // The extension reads ~/.ssh and hosts.json from the environment when it connects: the test client's.
      process.env.HOME = client.home;
      process.env.XDG_CONFIG_HOME = join(client.home, '.config');
      delete process.env.SSH_AUTH_SOCK;
    });

    suiteTeardown(async () => {
      if (skip) return;
      await revertAndCloseAll();
      try {
        const shown = api.engine ? (await tree()).map((h) => h.host) : [];
        if (shown.includes('box')) {
          const c = await api.engine.client('box');
          for (const p of await c.listPods()) await c.deletePod({ pod: p.uid, force: true });
        }
        for (const name of ['box', 'changed', 'gone']) {
          if (shown.includes(name)) await vscode.commands.executeCommand('podsmith.host.remove', { host: name, confirm: false });
        }
      } finally {
        for (const [k, v] of Object.entries(saved)) {
          if (v === undefined) delete process.env[k];
          else process.env[k] = v;
        }
        const leaks = [...((await other?.dispose()) ?? []), ...((await host?.dispose()) ?? [])];
        client?.dispose();
        await local?.dispose();
        assert.deepEqual(leaks, []);
      }
    });

    test('Add Remote Host checks the host key and the login, then the tree shows the host connected', async () => {
      const added = await vscode.commands.executeCommand<{ name: string; url: string }>('podsmith.host.add', { name: 'box', url: host.url, accept: true });
      assert.deepEqual(added, { name: 'box', url: host.url });
      const hostsJson = JSON.parse(readFileSync(join(client.home, '.config', 'podsmith', 'hosts.json'), 'utf8')) as { hosts: { name: string }[] };
      assert.deepEqual(hostsJson.hosts.map((h) => h.name), ['box']);
      assert.match(readFileSync(client.knownHosts, 'utf8'), /^\|1\|/, 'the accepted key is recorded hashed');
      const line = await waitForTree('box connected', async () => (await tree()).find((h) => h.host === 'box' && h.context === 'podsmithHost.remote.connected'));
      assert.match(line.description, /0 pods, 0 running/);
      assert.equal(api.testing.hostState('box'), 'connected');
    });

    test('runs a manifest there and shows its pod under the host', async () => {
      const results = await vscode.commands.executeCommand<{ outcome: string; pod?: string }[]>('podsmith.pod.run', { uri: fixture('pods/web.yaml'), host: 'box', replace: true });
      assert.deepEqual(results.map((r) => [r.pod, r.outcome]), [['vsc-web', 'running']]);
      await waitForTree('vsc-web under box', async () => (await tree()).find((h) => h.host === 'box')?.pods.find((p) => p.name === 'vsc-web' && /Running 2\/2/.test(p.description)));
      // It runs there, not here.
      const c = await api.engine.client('box');
      assert.equal(c.info?.home, host.home);
    });

    test('opens a terminal in a container there (a real pty) and a log tab that follows what the terminal writes', async () => {
      const log = await vscode.commands.executeCommand<vscode.TextEditor | undefined>('podsmith.pod.logs', { host: 'box', pod: 'vsc-web', container: 'http', follow: true });
      assert.ok(log, 'podsmith.pod.logs returned no editor');
      assert.equal(log.document.uri.authority, 'box');
      const handle = await vscode.commands.executeCommand<ExecTerminal | undefined>('podsmith.pod.exec', { host: 'box', pod: 'vsc-web', container: 'http' });
      assert.ok(handle, 'podsmith.pod.exec returned no terminal');
      assert.equal(handle.terminal.name, 'box: vsc-web/http');
      let screen = '';
      handle.onDidWrite((t) => (screen += t));
      await until([handle.onDidWrite], () => /\/ # /.test(screen), () => `the prompt; the terminal shows ${JSON.stringify(screen.slice(-400))}`);
      // The shell runs in the container on the host: the pod's env, a pty there; and what it writes to the
      // container's stdout comes back in the log tab.
      handle.terminal.sendText('echo "page=$PAGE"; tty; echo "typed on $(hostname) in the terminal" > /proc/1/fd/1');
      await until([handle.onDidWrite], () => /page=served from the pod/.test(screen) && /\/dev\/pts\/\d+/.test(screen), () => `the command output; the terminal shows ${JSON.stringify(screen.slice(-400))}`);
      await until([vscode.workspace.onDidChangeTextDocument], () => /typed on vsc-web in the terminal/.test(log.document.getText()), () => `the line in the log tab; it has ${JSON.stringify(log.document.getText().slice(-400))}`);
      const closed = new Promise<vscode.Terminal>((r) => {
        const sub = vscode.window.onDidCloseTerminal((t) => t === handle.terminal && (sub.dispose(), r(t)));
      });
      handle.terminal.sendText('exit 0');
      // closeOnExit onSuccess: the terminal closes by itself.
      assert.equal((await closed).exitStatus?.code, 0);
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    });

    test('describes, forwards a port through the SSH connection, stops and deletes there', async () => {
      const editor = await vscode.commands.executeCommand<vscode.TextEditor>('podsmith.pod.describe', { host: 'box', pod: 'vsc-web' });
      assert.match(editor!.document.getText(), /Status:\s+Running/);
      const fwd = await vscode.commands.executeCommand<{ local: number }>('podsmith.pod.portForward', { host: 'box', pod: 'vsc-web', port: 8080, localPort: 0, open: false });
      assert.ok(fwd?.local);
      assert.match(await httpGet(fwd.local), /served from the pod/);
      assert.equal(await vscode.commands.executeCommand('podsmith.pod.stopPortForward', { localPort: fwd.local }), 1);
      const stopped = await vscode.commands.executeCommand<{ phase: string }>('podsmith.pod.stop', { host: 'box', pod: 'vsc-web', gracePeriodSeconds: 1 });
      assert.ok(stopped && stopped.phase !== 'Running');
      assert.equal(await vscode.commands.executeCommand('podsmith.pod.delete', { host: 'box', pod: 'vsc-web', confirm: false }), true);
      await waitForTree('vsc-web gone', async () => ((await tree()).find((h) => h.host === 'box')?.pods.length === 0 ? true : undefined));
    });

    test('hosts added by the CLI appear: one whose key changed is refused, an unreachable one is retried', async () => {
      other = await new TestSshd({ index: 41, authorizedKeys: [client.publicKey] }).start();
      // known_hosts gives 127.0.1.41 the key of box: what it offers reads as a changed key (no question asked).
      appendFileSync(client.knownHosts, `[${other.address}]:${other.port} ${host.hostKey.split(' ').slice(0, 2).join(' ')}\n`);
      podsmith(['host', 'add', 'changed', other.url, '--no-check']);
      podsmith(['host', 'add', 'gone', `ssh://root@127.0.1.42:${await closedPort('127.0.1.42')}`, '--no-check']);
      const changed = await waitForTree('changed refused', async () => (await tree()).find((h) => h.host === 'changed' && h.context === 'podsmithHost.remote.host-key-refused'));
      assert.equal(changed.description, 'host key refused');
      assert.match(changed.tooltip, /THE HOST KEY OF .*127\.0\.1\.41.* HAS CHANGED/);
      const gone = await waitForTree('gone unreachable and retried', async () => (await tree()).find((h) => h.host === 'gone' && h.context === 'podsmithHost.remote.unreachable' && /trying again in \d+ s/.test(h.tooltip)));
      assert.equal(gone.description, 'unreachable');
      assert.match(gone.tooltip, /connection refused/);
      assert.equal(api.testing.hostState('box'), 'connected', 'the other hosts are not disturbed');
      // Removed by the CLI: gone from the tree.
      podsmith(['host', 'rm', 'changed', 'gone']);
      await waitForTree('changed and gone removed', async () => ((await tree()).some((h) => h.host === 'changed' || h.host === 'gone') ? undefined : true));
    });

    test('Remove Remote Host forgets it', async () => {
      assert.equal(await vscode.commands.executeCommand('podsmith.host.remove', { host: 'box', confirm: false }), true);
      await waitForTree('box gone from the tree', async () => ((await tree()).some((h) => h.host === 'box') ? undefined : true));
    });
  });
}
