// Eight real sshd "hosts" driven at once from one client: each gets the engine, then a pod is run, exec'd
// into, its logs read and deleted on all of them concurrently, each on its own host's engine (its own
// PODSMITH_HOME). One host forbids streamlocal forwarding, so its streams go through `daemon dial-stdio`.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RemoteHost } from '../../engine/remote/remote-host';
import { ensureBuilt, startHosts, TestClient, TestSshd, whyNoSshd } from './support/sshd';

const skip = whyNoSshd();
const N = 8;

const pod = (i: number): string => `apiVersion: v1
kind: Pod
metadata:
  name: greeter
  annotations:
    podsmith.io/network: none
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: g
      image: podsmith.local/busybox:1
      env:
        - name: WHO
          value: host-${i}
      command: ["sh", "-c", "echo hello from $WHO; exec sleep 600"]
`;

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let s = '';
  for await (const chunk of stream) s += chunk.toString();
  return s;
}

describe(`${N} hosts at once (real sshd)`, { skip }, () => {
  let client: TestClient;
  let hosts: TestSshd[] = [];
  let remotes: RemoteHost[] = [];
  before(async () => {
    ensureBuilt();
    client = new TestClient();
    hosts = await startHosts(N - 1, 30, [client.publicKey]);
    hosts.push(await new TestSshd({ index: 30 + N - 1, authorizedKeys: [client.publicKey], extra: ['AllowStreamLocalForwarding no'] }).start());
    client.trust(...hosts);
    const config = client.sshConfig();
    remotes = hosts.map(
      (h, i) =>
        new RemoteHost({ name: `h${i}`, dest: { alias: h.address, user: 'root', port: h.port }, ssh: { config, env: client.env() }, bootstrap: { doctor: 'never' }, clientName: 'many-hosts test' }),
    );
  });
  after(async () => {
    remotes.forEach((r) => r.close());
    const leaks = (await Promise.all(hosts.map((h) => h.dispose()))).flat();
    client?.dispose();
    assert.deepEqual(leaks, []);
  });

  it('runs, execs, reads logs and deletes on every host concurrently', async () => {
    const results = await Promise.all(
      remotes.map(async (rh, i) => {
        const c = await rh.client();
        assert.equal(c.info!.home, hosts[i].home, 'each host has its own engine');
        const status = await c.runPod({ manifest: pod(i) });
        assert.equal(status.phase, 'Running');
        const s = await c.exec({ pod: 'greeter', command: ['sh', '-c', 'echo exec on $WHO; exit 7'], tty: false, stdin: false });
        const [out, end] = await Promise.all([readAll(s.stdout), s.ended]);
        const logs = await c.logs({ pod: 'greeter' });
        const text = await readAll(logs.stream);
        await logs.done;
        await c.deletePod({ pod: 'greeter', force: true });
        const left = await c.listPods();
        c.close();
        return { out, end, text, left, mode: rh.mode };
      }),
    );
    results.forEach((r, i) => {
      assert.equal(r.out, `exec on host-${i}\n`);
      assert.deepEqual(r.end, { kind: 'exit', code: 7 });
      assert.equal(r.text, `hello from host-${i}\n`);
      assert.deepEqual(r.left, []);
    });
    assert.deepEqual(
      results.map((r) => r.mode),
      [...Array(N - 1).fill('streamlocal'), 'dial-stdio'],
    );
  });
});
