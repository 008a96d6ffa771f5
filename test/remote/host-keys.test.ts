// Host keys against a real sshd, through the CLI as users run it: an unknown key is refused with its SHA256
// fingerprint and nothing is recorded; accepted after confirmation it is appended hashed (and OpenSSH's own
// client then trusts it too); a changed key is refused loudly, even with --accept-new-host-key; a revoked key
// is refused; a broken known_hosts line is skipped with a warning, not fatal.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, ensureBuilt, TestClient, TestSshd, whyNoSshd } from './support/sshd';

const skip = whyNoSshd();

describe('host keys (real sshd, CLI)', { skip }, () => {
  let client: TestClient;
  let host: TestSshd;
  let leaks: string[] = [];
  before(async () => {
    ensureBuilt();
    client = new TestClient();
    host = await new TestSshd({ index: 20, authorizedKeys: [client.publicKey] }).start();
  });
  after(async () => {
    leaks = (await host?.dispose()) ?? [];
    client?.dispose();
    assert.deepEqual(leaks, []);
  });

  const fingerprintOf = (): string => execFileSync('ssh-keygen', ['-lf', `${host.hostKeyFile()}.pub`], { encoding: 'utf8' }).split(' ')[1];
  /** OpenSSH's own client, strict: does it trust the key in our known_hosts? */
  const opensshTrusts = (): boolean =>
    spawnSync('ssh', ['-F', '/dev/null', '-i', client.key, '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${client.knownHosts}`, '-p', String(host.port), `root@${host.address}`, 'true'], { encoding: 'utf8' })
      .status === 0;

  it('refuses an unknown key with its fingerprint and how to accept it, and records nothing', async () => {
    const r = await cli(client, ['host', 'add', 'box', host.url]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`not known: ssh-ed25519 ${fingerprintOf().replace(/[+/]/g, '\\$&')}`));
    assert.match(r.stderr, /--accept/);
    assert.equal(existsSync(client.knownHosts), false);
    assert.equal(existsSync(join(client.home, '.config', 'podsmith', 'hosts.json')), false);
    // A pod command against the URL is refused the same way.
    const ps = await cli(client, ['ps', '--host', host.url]);
    assert.equal(ps.code, 1);
    assert.match(ps.stderr, /not known: ssh-ed25519 SHA256:.*--accept-new-host-key/s);
  });

  it('accepts it after confirmation: appended hashed, and OpenSSH trusts it too', async () => {
    const r = await cli(client, ['host', 'add', 'box', host.url, '--accept']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /host box added/);
    const text = readFileSync(client.knownHosts, 'utf8');
    assert.match(text, /^\|1\|[^|]+\|[^ ]+ ssh-ed25519 /);
    assert.doesNotMatch(text, /127\.0\.1\.20/, 'the host name is hashed');
    assert.equal(opensshTrusts(), true);
    const again = await cli(client, ['host', 'test', 'box']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /reachable, logged in as root/);
  });

  it('skips a broken known_hosts line with a warning and still connects', async () => {
    const before = readFileSync(client.knownHosts, 'utf8');
    writeFileSync(client.knownHosts, `this line is broken\n${before}`);
    const r = await cli(client, ['ps', '--host', 'box']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /known_hosts:1: .*skipped/);
    writeFileSync(client.knownHosts, before);
  });

  it('refuses a changed key loudly and changes nothing, even when told to accept new keys', async () => {
    const before = readFileSync(client.knownHosts, 'utf8');
    host.newHostKey();
    await host.restart();
    for (const args of [['ps', '--host', 'box'], ['ps', '--host', 'box', '--accept-new-host-key'], ['host', 'test', 'box', '--accept-new-host-key']]) {
      const r = await cli(client, args);
      assert.equal(r.code, 1, args.join(' '));
      assert.match(r.stderr, /HAS CHANGED/);
      assert.match(r.stderr, new RegExp(fingerprintOf().replace(/[+/]/g, '\\$&')), 'names the new key');
      assert.match(r.stderr, /ssh-keygen -R '\[127\.0\.1\.20\]:\d+'/);
    }
    assert.equal(readFileSync(client.knownHosts, 'utf8'), before);
    assert.equal(opensshTrusts(), false, 'OpenSSH refuses it as well');
  });

  it('refuses a revoked key', async () => {
    writeFileSync(client.knownHosts, `${host.knownHostsLine()}\n@revoked * ${host.hostKey.split(' ').slice(0, 2).join(' ')}\n`);
    const r = await cli(client, ['ps', '--host', 'box']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /marked @revoked in .*known_hosts:2/);
  });
});
