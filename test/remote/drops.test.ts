// A dropped SSH connection, for real: the session's sshd process is killed mid-stream (or stopped, so only
// keepalives can notice). Open log follows and exec sessions end with a message saying the connection was lost,
// never hang; the host connects again with back-off; the pod on the host kept running.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { DaemonError, type DaemonClient } from '../../engine/client/daemon-client';
import { RemoteHost } from '../../engine/remote/remote-host';
import { ensureBuilt, TestClient, TestSshd, waitFor, whyNoSshd, REPO } from './support/sshd';
import { join } from 'node:path';

const skip = whyNoSshd();

const POD = `apiVersion: v1
kind: Pod
metadata:
  name: ticker
  annotations:
    podsmith.io/network: none
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: t
      image: podsmith.local/busybox:1
      command: ["sh", "-c", "i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.2; done"]
`;

function firstData(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve) => stream.once('data', (b: Buffer) => resolve(b.toString())));
}

describe('dropped connections (real sshd)', { skip }, () => {
  let client: TestClient;
  let host: TestSshd;
  let rh: RemoteHost;
  before(async () => {
    ensureBuilt();
    client = new TestClient();
    host = await new TestSshd({ index: 25, authorizedKeys: [client.publicKey] }).start();
    client.trust(host);
    client.writeConfig(`Host box\n  HostName ${host.address}\n  Port ${host.port}\n  User root\n  ServerAliveInterval 1\n  ServerAliveCountMax 2\n`);
    rh = new RemoteHost({ name: 'box', dest: { alias: 'box' }, ssh: { config: client.sshConfig(), env: client.env() }, clientName: 'test', reconnect: true, backoff: { firstMs: 100, maxMs: 1000 } });
    const c = await rh.client();
    await c.runPod({ manifest: POD });
    c.close();
  });
  after(async () => {
    try {
      if (rh.state !== 'connected') await rh.ready();
      const c = await rh.client();
      await c.deletePod({ pod: 'ticker', force: true });
      c.close();
    } finally {
      rh?.close();
      const leaks = (await host?.dispose()) ?? [];
      client?.dispose();
      assert.deepEqual(leaks, []);
    }
  });

  it('ends log follows and exec sessions with a message when the session sshd is killed, then reconnects', async () => {
    const c: DaemonClient = await rh.client();
    const logs = await c.logs({ pod: 'ticker', follow: true });
    assert.match(await firstData(logs.stream), /tick \d+/);
    logs.stream.resume();
    const ended = new Promise<void>((r) => logs.stream.once('end', r));
    const exec = await c.exec({ pod: 'ticker', command: ['sleep', '300'], tty: false, stdin: true });
    let reconnected = 0;
    const off = rh.onDidReconnect(() => reconnected++);

    const sessions = host.sessionPids();
    assert.ok(sessions.length > 0);
    for (const p of sessions) process.kill(p, 'SIGKILL');

    await ended;
    await assert.rejects(logs.done, (e: Error) => e instanceof DaemonError && /lost the connection to box: .*; pods there keep running/.test(e.message));
    const end = await exec.ended;
    assert.equal(end.kind, 'error');
    assert.match((end as { message: string }).message, /lost the connection to box/);
    await assert.rejects(c.listPods(), /lost the connection to box/);

    await waitFor('the host to connect again', () => rh.state === 'connected' && reconnected === 1);
    off();
    const c2 = await rh.client();
    const pod = await c2.getPod('ticker');
    assert.equal(pod.phase, 'Running', 'the pod kept running');
    assert.equal(pod.containerStatuses[0].restartCount, 0);
    c2.close();
  });

  it('notices a connection that went silent by its keepalives', async () => {
    const c = await rh.client();
    const logs = await c.logs({ pod: 'ticker', follow: true });
    await firstData(logs.stream);
    logs.stream.resume();
    const sessions = host.sessionPids();
    for (const p of sessions) process.kill(p, 'SIGSTOP');
    try {
      await assert.rejects(logs.done, /lost the connection to box: root@127\.0\.1\.25:\d+ stopped answering \(2 keepalives unanswered, one every 1 s\); pods there keep running/);
    } finally {
      for (const p of sessions) process.kill(p, 'SIGKILL');
    }
    await waitFor('the host to connect again', () => rh.state === 'connected');
    c.close();
  });

  it('ends `podsmith logs -f --host` with a message and exit 1', async () => {
    const child = spawn(process.execPath, [join(REPO, 'dist', 'podsmith.js'), 'logs', '-f', '--host', 'box', 'ticker'], { env: client.env() });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    const code = new Promise<number | null>((r) => child.on('close', r));
    await waitFor('log lines', () => /tick \d+/.test(out), 60_000);
    const before = new Set(host.sessionPids());
    for (const p of before) process.kill(p, 'SIGKILL');
    assert.equal(await code, 1);
    assert.match(err, /podsmith logs: lost the connection to box: .*pods there keep running/);
  });
});
