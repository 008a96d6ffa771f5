// ProxyJump through one real sshd to another, from ~/.ssh/config: the hop's own host key is checked, the
// destination is reached through the hop's forwarded channel (the hop's log shows it, and it fails when the hop
// forbids forwarding), and pods work there.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RemoteHost } from '../../engine/remote/remote-host';
import { openSsh, SshError } from '../../engine/remote/ssh-connect';
import { cli, ensureBuilt, TestClient, TestSshd, waitFor, whyNoSshd } from './support/sshd';

const skip = whyNoSshd();

describe('ProxyJump (real sshd)', { skip }, () => {
  let client: TestClient;
  let jump: TestSshd;
  let inner: TestSshd;
  before(async () => {
    ensureBuilt();
    client = new TestClient();
    [jump, inner] = await Promise.all([
      new TestSshd({ index: 23, authorizedKeys: [client.publicKey], extra: ['LogLevel DEBUG1'] }).start(),
      new TestSshd({ index: 24, authorizedKeys: [client.publicKey] }).start(),
    ]);
    client.trust(jump, inner);
    client.writeConfig(
      [
        'Host jumpbox',
        `  HostName ${jump.address}`,
        `  Port ${jump.port}`,
        '  User root',
        'Host inner',
        `  HostName ${inner.address}`,
        `  Port ${inner.port}`,
        '  User root',
        '  ProxyJump jumpbox',
        '',
      ].join('\n'),
    );
  });
  after(async () => {
    const leaks = [...((await jump?.dispose()) ?? []), ...((await inner?.dispose()) ?? [])];
    client?.dispose();
    assert.deepEqual(leaks, []);
  });

  it('reaches the inner host through the jump host', async () => {
    const ssh = await openSsh({ alias: 'inner' }, { config: client.sshConfig(), env: client.env() });
    assert.deepEqual(ssh.jumps, [`root@${jump.address}:${jump.port}`]);
    assert.equal(ssh.label, `root@${inner.address}:${inner.port}`);
    const r = await ssh.run('echo $PODSMITH_HOME');
    assert.equal(r.stdout.trim(), inner.home, 'the command ran on the inner host');
    ssh.close();
    await waitFor('the hop to log the forwarded channel', () =>
      readFileSync(join(jump.dir, 'sshd.log'), 'utf8').includes(`target ${inner.address} port ${inner.port}`),
    );
  });

  it('runs pods there with --host, a Host of ~/.ssh/config', async () => {
    const r = await cli(client, ['ps', '--host', 'inner']);
    assert.equal(r.code, 0, r.stderr);
    const host = new RemoteHost({ name: 'inner', dest: { alias: 'inner' }, ssh: { config: client.sshConfig(), env: client.env() }, clientName: 'test' });
    try {
      const c = await host.client();
      assert.equal(c.info!.home, inner.home);
      c.close();
    } finally {
      host.close();
    }
  });

  it("checks the hop's own host key", async () => {
    client.trust(inner);
    try {
      await assert.rejects(openSsh({ alias: 'inner' }, { config: client.sshConfig(), env: client.env() }), (e: Error) => e instanceof SshError && e.kind === 'host-key-unknown' && /the jump host root@127\.0\.1\.23/.test(e.message));
    } finally {
      client.trust(jump, inner);
    }
  });

  it('fails, naming the hop, when the hop forbids forwarding', async () => {
    await jump.restart(['AllowTcpForwarding no']);
    await assert.rejects(openSsh({ alias: 'inner' }, { config: client.sshConfig(), env: client.env() }), /the jump host root@127\.0\.1\.23:\d+ cannot reach 127\.0\.1\.24/);
  });
});
