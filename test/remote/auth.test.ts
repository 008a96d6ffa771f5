// Logging in to a real sshd: through a real ssh-agent (no key file needed, no passphrase asked for a key the
// agent holds), with a passphrase-protected key (asked through the caller's prompt, as the editor does, and
// on the terminal by the CLI, without echo), IdentitiesOnly, and a refusal that says what was tried.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { openSsh, SshError } from '../../engine/remote/ssh-connect';
import { SshConfig } from '../../engine/remote/ssh-config';
import { RemoteHost } from '../../engine/remote/remote-host';
import { cli, ensureBuilt, keygen, REPO, TestClient, TestSshd, waitFor, whyNoSshd } from './support/sshd';

const skip = whyNoSshd();

describe('authentication (real sshd)', { skip }, () => {
  let client: TestClient;
  let host: TestSshd;
  let agentKey: string;
  let agentPub: string;
  let lockedKey: string;
  let lockedPub: string;
  before(async () => {
    ensureBuilt();
    client = new TestClient();
    agentKey = join(client.home, 'agent_key');
    agentPub = keygen(agentKey);
    lockedKey = join(client.home, 'locked_key');
    lockedPub = keygen(lockedKey, 'ed25519', 'correct horse');
    host = await new TestSshd({ index: 21, authorizedKeys: [] }).start();
    client.trust(host);
  });
  after(async () => {
    const leaks = (await host?.dispose()) ?? [];
    client?.dispose();
    assert.deepEqual(leaks, []);
  });

  const dest = () => ({ alias: host.address, user: 'root', port: host.port });

  it('logs in through a real ssh-agent, with no key file on disk', async () => {
    host.setAuthorizedKeys([agentPub]);
    // The only key in ~/.ssh is one the server does not know.
    const socket = client.startAgent([agentKey]);
    try {
      const asked: string[] = [];
      const ssh = await openSsh(dest(), { config: client.sshConfig(), env: client.env(), prompts: { passphrase: async (f) => (asked.push(f), undefined) } });
      assert.equal(ssh.open, true);
      assert.deepEqual(asked, []);
      ssh.close();
      // The CLI uses SSH_AUTH_SOCK the same way.
      const r = await cli(client, ['ps', '--host', host.url]);
      assert.equal(r.code, 0, r.stderr);
      // IdentitiesOnly with an IdentityFile the agent does not hold: the agent's key is not offered.
      client.writeConfig(`Host ${host.address}\n  IdentitiesOnly yes\n  IdentityFile ${client.key}\n`);
      await assert.rejects(openSsh(dest(), { config: client.sshConfig(), env: client.env() }), (e: Error) => e instanceof SshError && e.kind === 'auth' && /none of its 1 keys is an IdentityFile/.test(e.message));
      // ...and offered when it is the IdentityFile (found through its .pub file).
      client.writeConfig(`Host ${host.address}\n  IdentitiesOnly yes\n  IdentityFile ${agentKey}\n`);
      renameSync(agentKey, `${agentKey}.moved`); // only the .pub is left: the agent must sign
      const only = await openSsh(dest(), { config: client.sshConfig(), env: client.env() });
      only.close();
      renameSync(`${agentKey}.moved`, agentKey);
      assert.ok(socket);
    } finally {
      client.stopAgent();
      client.writeConfig('');
    }
  });

  it('says what it tried when nothing works, and names a stale SSH_AUTH_SOCK', async () => {
    host.setAuthorizedKeys([agentPub]);
    const err = await openSsh(dest(), { config: client.sshConfig(), env: { ...client.env(), SSH_AUTH_SOCK: join(client.home, 'gone.sock') } }).then(
      () => assert.fail('logged in'),
      (e: unknown) => e as SshError,
    );
    assert.equal(err.kind, 'auth');
    assert.match(err.message, /gone\.sock does not exist \(a stale SSH_AUTH_SOCK\?\)/);
    assert.match(err.message, new RegExp(`${client.key}: refused by the server`));
    const rh = new RemoteHost({ name: 'box', dest: dest(), ssh: { config: client.sshConfig(), env: client.env() }, clientName: 'test' });
    await assert.rejects(rh.client());
    assert.equal(rh.state, 'auth-failed');
    rh.close();
  });

  it('asks for the passphrase of a key through the caller (the editor), again when it is wrong, and never stores it', async () => {
    host.setAuthorizedKeys([lockedPub]);
    client.writeConfig(`Host ${host.address}\n  IdentityFile ${lockedKey}\n`);
    const asked: boolean[] = [];
    const answers = ['wrong', 'correct horse'];
    const ssh = await openSsh(dest(), {
      config: new SshConfig({ home: client.home, env: client.env() }),
      env: client.env(),
      prompts: { passphrase: async (file, retry) => (assert.equal(file, lockedKey), asked.push(retry), answers.shift()) },
    });
    assert.deepEqual(asked, [false, true]);
    ssh.close();
    // No prompt (a script without a terminal): skipped, and the error says to add it to the agent.
    await assert.rejects(openSsh(dest(), { config: client.sshConfig(), env: client.env() }), /encrypted, and there is no way to ask its passphrase here \(add it to the agent: ssh-add/);
  });

  it('asks for it on the terminal in the CLI, without echo', async () => {
    host.setAuthorizedKeys([lockedPub]);
    client.writeConfig(`Host ${host.address}\n  IdentityFile ${lockedKey}\n`);
    const env = client.env();
    // `script` gives the CLI a real terminal (a pty); we type when the prompt shows.
    const child = spawn('script', ['-qfec', `${process.execPath} ${join(REPO, 'dist', 'podsmith.js')} ps --host ${host.url}`, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    await waitFor('the passphrase prompt', () => out.includes(`Enter passphrase for key '${lockedKey}': `), 60_000);
    child.stdin.write('correct horse\r');
    const code = await exited;
    assert.equal(code, 0, out);
    assert.doesNotMatch(out, /correct horse/, 'the passphrase is not echoed');
    assert.match(out, /No (running )?pods/);
    client.writeConfig('');
  });
});
