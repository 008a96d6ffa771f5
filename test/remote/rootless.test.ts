// Most SSH logins are not root: a host reached as the unprivileged test user (podsmith-test, made by
// `scripts/setup.sh test`) gets the engine in that user's cache and a rootless daemon in the user's own
// namespace; a pod runs there (its limits said as not enforced), exec runs inside the user's namespace, logs
// come back, and nothing is left. sshd uses PAM here because the test user's account has no password (`!`),
// which sshd without PAM takes for a locked account.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { RemoteHost } from '../../engine/remote/remote-host';
import { testUser, type TestUser } from '../rootless/support';
import { ensureBuilt, TestClient, TestSshd, whyNoSshd } from './support/sshd';

const found = testUser();
const skip = whyNoSshd() ?? (typeof found === 'string' ? found : undefined);

const POD = `apiVersion: v1
kind: Pod
metadata:
  name: plain
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: c
      image: podsmith.local/busybox:1
      resources:
        limits:
          memory: 32Mi
      command: ["sh", "-c", "echo hello from a plain user; exec sleep 600"]
`;

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let s = '';
  for await (const chunk of stream) s += chunk.toString();
  return s;
}

describe('a host reached as a user who is not root (real sshd)', { skip }, () => {
  const user = found as TestUser;
  let client: TestClient;
  let host: TestSshd;
  let rh: RemoteHost;
  before(async () => {
    ensureBuilt();
    client = new TestClient();
    host = await new TestSshd({ index: 27, authorizedKeys: [client.publicKey], extra: ['UsePAM yes'] }).start();
    client.trust(host);
    // sshd reads the keys file as the user; the engine's state there is the user's.
    chmodSync(join(host.dir, 'authorized_keys'), 0o644);
    for (const d of [host.home, host.cache]) {
      mkdirSync(d, { mode: 0o700 });
      chownSync(d, user.uid, user.gid);
    }
    rh = new RemoteHost({ name: 'pi', dest: { alias: host.address, user: user.name, port: host.port }, ssh: { config: client.sshConfig(), env: client.env() }, bootstrap: { doctor: 'never' }, clientName: 'rootless remote test' });
  });
  after(async () => {
    try {
      if (rh) {
        const c = await rh.client();
        for (const p of await c.listPods()) await c.deletePod({ pod: p.uid, force: true });
        c.close();
      }
    } finally {
      rh?.close();
      const leaks = (await host?.dispose()) ?? [];
      client?.dispose();
      assert.deepEqual(leaks, []);
    }
  });

  it('installs the engine in the user\'s cache and runs a rootless pod there: exec, logs, delete', async () => {
    const c = await rh.client();
    const boot = rh.boot!;
    assert.equal(boot.facts.uid, user.uid);
    assert.equal(boot.facts.user, user.name);
    assert.equal(statSync(boot.engineDir).uid, user.uid, 'the bundle belongs to the user');
    assert.equal(c.info!.home, host.home);

    const status = await c.runPod({ manifest: POD });
    assert.equal(status.phase, 'Running');
    assert.match((status.warnings ?? []).join('\n'), /limits not enforced \(rootless/);
    // The container is in the user's namespace: its root is the user outside.
    const s = await c.exec({ pod: 'plain', command: ['cat', '/proc/self/uid_map'], tty: false, stdin: false });
    const [out, end] = await Promise.all([readAll(s.stdout), s.ended]);
    assert.deepEqual(end, { kind: 'exit', code: 0 });
    assert.match(out, new RegExp(`^\\s*0\\s+${user.uid}\\s+1$`, 'm'));
    const logs = await c.logs({ pod: 'plain' });
    assert.equal(await readAll(logs.stream), 'hello from a plain user\n');
    await logs.done;
    await c.deletePod({ pod: 'plain', force: true });
    assert.deepEqual(await c.listPods(), []);
    c.close();
  });
});
