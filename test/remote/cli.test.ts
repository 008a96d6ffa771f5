// Every pod command of the CLI against a remote host (a real sshd), as users run them: run (a ConfigMap in the
// file, a Secret from another file of the folder, the image made there), ps, describe, exec (and -t with a
// real pty), logs and -f, events, port-forward (a local port to the pod's port through the SSH connection),
// stop, rm; PODSMITH_HOST; doctor and daemon status there; host ls (with ~/.ssh/config Hosts) and host rm.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { cli, ensureBuilt, processesWith, REPO, TestClient, TestSshd, waitFor, whyNoSshd } from './support/sshd';

const skip = whyNoSshd();

function httpGet(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/' }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (s: string) => (body += s));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

describe('the CLI with --host (real sshd)', { skip }, () => {
  let client: TestClient;
  let host: TestSshd;
  let dir: string;
  before(async () => {
    ensureBuilt();
    client = new TestClient();
    host = await new TestSshd({ index: 26, authorizedKeys: [client.publicKey] }).start();
    client.trust(host);
    dir = join(client.home, 'manifests');
    mkdirSync(dir);
    copyFileSync(join(REPO, 'examples', 'demo', 'hello-pod.yaml'), join(dir, 'hello-pod.yaml'));
    writeFileSync(join(dir, 'secret.yaml'), 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\nstringData:\n  token: s3cret-value\n');
    writeFileSync(
      join(dir, 'reader.yaml'),
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: reader\n  annotations:\n    podsmith.io/network: none\nspec:\n  terminationGracePeriodSeconds: 1\n  containers:\n    - name: r\n      image: podsmith.local/busybox:1\n      command: ["sleep", "600"]\n      volumeMounts: [{name: s, mountPath: /s}]\n  volumes:\n    - name: s\n      secret: {secretName: creds}\n',
    );
    const add = await cli(client, ['host', 'add', 'box', host.url]);
    assert.equal(add.code, 0, add.stderr);
  });
  after(async () => {
    const leaks = (await host?.dispose()) ?? [];
    client?.dispose();
    assert.deepEqual(leaks, []);
  });

  it('runs a folder there: its ConfigMaps and Secrets travel with the request', async () => {
    const r = await cli(client, ['run', '--host', 'box', '-q', '-f', dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /pod\/hello Running/);
    assert.match(r.stdout, /pod\/reader Running/);
    const secret = await cli(client, ['exec', '--host', 'box', 'reader', '--', 'cat', '/s/token']);
    assert.equal(secret.stdout, 's3cret-value');
    assert.equal((await cli(client, ['ps'])).stdout.includes('hello'), false, 'nothing ran on this machine');
  });

  it('lists, describes, execs (exit code), reads logs and events there; PODSMITH_HOST works too', async () => {
    const ps = await cli(client, ['ps', '-o', 'json'], { env: { PODSMITH_HOST: 'box' } });
    assert.equal(ps.code, 0, ps.stderr);
    assert.deepEqual((JSON.parse(ps.stdout) as { items: { metadata: { name: string } }[] }).items.map((i) => i.metadata.name).sort(), ['hello', 'reader']);
    const d = await cli(client, ['describe', '--host', 'box', 'hello']);
    assert.match(d.stdout, /Status:\s+Running/);
    const e = await cli(client, ['exec', '--host', 'box', 'hello', '-c', 'web', '--', 'sh', '-c', 'echo out; echo err >&2; exit 42']);
    assert.deepEqual([e.code, e.stdout, e.stderr], [42, 'out\n', 'err\n']);
    const stdin = await cli(client, ['exec', '-i', '--host', 'box', 'hello', '--', 'wc', '-c'], { input: 'x'.repeat(100_000) });
    assert.equal(stdin.stdout.trim(), '100000');
    await waitFor('ticks', async () => /tick \d+ from hello/.test((await cli(client, ['logs', '--host', 'box', '-c', 'ticker', 'hello'])).stdout), 30_000);
    const ev = await cli(client, ['events', '--host', 'box', 'hello']);
    assert.match(ev.stdout, /Started/);
  });

  it('gives exec -t a real pty there', async () => {
    const line = `${process.execPath} ${join(REPO, 'dist', 'podsmith.js')} exec -it --host box hello -c web -- sh -c 'tty; stty size'`;
    const child = spawn('script', ['-qfec', line, '/dev/null'], { env: { ...client.env(), COLUMNS: '101', LINES: '37' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    const code = await new Promise<number | null>((r) => child.on('close', r));
    assert.equal(code, 0, out);
    assert.match(out, /\/dev\/pts\/\d+/);
  });

  it('follows logs there until interrupted', async () => {
    const child = spawn(process.execPath, [join(REPO, 'dist', 'podsmith.js'), 'logs', '-f', '--tail', '0', '--host', 'box', '-c', 'ticker', 'hello'], { env: client.env() });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    const code = new Promise<number | null>((r) => child.on('close', r));
    await waitFor('two new ticks', () => (out.match(/tick/g) ?? []).length >= 2, 30_000);
    child.kill('SIGINT');
    assert.equal(await code, 0);
  });

  it('forwards a local port to the pod port there, through the SSH connection', async () => {
    const child = spawn(process.execPath, [join(REPO, 'dist', 'podsmith.js'), 'port-forward', '--host', 'box', 'hello', ':8080'], { env: client.env() });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    const code = new Promise<number | null>((r) => child.on('close', r));
    await waitFor('the forward', () => /Forwarding from 127\.0\.0\.1:\d+ -> 8080/.test(out) || child.exitCode !== null, 60_000);
    const port = Number(/127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
    assert.ok(port, `${out}\n${err}`);
    const bodies = await Promise.all([httpGet(port), httpGet(port), httpGet(port)]);
    for (const b of bodies) assert.match(b, /Hello from a Podsmith pod/);
    child.kill('SIGINT');
    assert.equal(await code, 0, err);
    // The helper on the host (and its dialer in the pod's namespace) is gone with the session.
    await waitFor('the remote helper to exit', () => processesWith('__pod-dialer', host.cache).length === 0);
  });

  it('runs doctor and daemon status there', async () => {
    const doc = await cli(client, ['doctor', '--host', 'box', '-o', 'json']);
    assert.equal(doc.code, 0, doc.stderr);
    assert.equal((JSON.parse(doc.stdout) as { ok: boolean }).ok, true);
    const st = await cli(client, ['daemon', 'status', '--host', 'box']);
    assert.match(st.stdout, new RegExp(`running: pid \\d+.*home ${host.home}`));
  });

  it('stops and removes pods there', async () => {
    const stop = await cli(client, ['stop', '--host', 'box', 'hello']);
    assert.equal(stop.code, 0, stop.stderr);
    const rm = await cli(client, ['rm', '-f', '--host', 'box', 'hello', 'reader']);
    assert.equal(rm.code, 0, rm.stderr);
    const ps = await cli(client, ['ps', '-a', '--host', 'box']);
    assert.doesNotMatch(ps.stdout, /hello|reader/);
    const gone = await cli(client, ['describe', '--host', 'box', 'hello']);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /not found|does not exist/i);
  });

  it('lists hosts (with the Hosts of ~/.ssh/config) and forgets one', async () => {
    client.writeConfig(`Host pi\n  HostName ${host.address}\n  Port ${host.port}\n  User root\n`);
    const ls = await cli(client, ['host', 'ls']);
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, new RegExp(`^box\\s+${host.url.replace(/[.]/g, '\\.')}\\s+hosts\\.json$`, 'm'));
    assert.match(ls.stdout, /^pi\s+Host pi\s+~\/\.ssh\/config$/m);
    const json = JSON.parse((await cli(client, ['host', 'ls', '-o', 'json'])).stdout) as { hosts: { name: string; url: string }[]; sshConfigHosts: string[] };
    assert.deepEqual(json, { hosts: [{ name: 'box', url: host.url }], sshConfigHosts: ['pi'] });
    // A Host of ~/.ssh/config works with --host as it is.
    const ps = await cli(client, ['ps', '--host', 'pi']);
    assert.equal(ps.code, 0, ps.stderr);
    const unknown = await cli(client, ['host', 'rm', 'box', 'nosuch']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no host named "nosuch"/);
    const rm = await cli(client, ['host', 'rm', 'box']);
    assert.equal(rm.code, 0, rm.stderr);
    assert.match(rm.stdout, /host box removed/);
    const after = await cli(client, ['ps', '--host', 'box']);
    assert.equal(after.code, 2);
    assert.match(after.stderr, /unknown host "box"/);
  });
});
