// The engine on a host that has none: probed, uploaded over SFTP, checked file by file there and renamed into
// ~/.cache/podsmith/engine/<version>-<hash>/, its daemon started; then reused without an upload; a damaged
// copy is installed again; two clients bootstrapping one host at once leave one intact bundle and one daemon;
// a later connection reuses the daemon the last one left without running a command there (and bootstraps in
// full when that daemon is gone or another answers); a host without a usable Node says so.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bootstrapEngine, BootstrapError } from '../../engine/remote/bootstrap';
import { openSsh } from '../../engine/remote/ssh-connect';
import { RemoteHost } from '../../engine/remote/remote-host';
import { alive, ensureBuilt, pidsWith, TestClient, TestSshd, whyNoSshd } from './support/sshd';

const skip = whyNoSshd();

describe('bootstrap (real sshd)', { skip }, () => {
  let client: TestClient;
  let host: TestSshd;
  before(async () => {
    ensureBuilt();
    client = new TestClient();
    host = await new TestSshd({ index: 22, authorizedKeys: [client.publicKey] }).start();
    client.trust(host);
  });
  after(async () => {
    const leaks = (await host?.dispose()) ?? [];
    client?.dispose();
    assert.deepEqual(leaks, []);
  });

  const connect = () => openSsh({ alias: host.address, user: 'root', port: host.port }, { config: client.sshConfig(), env: client.env() });
  const engineRoot = () => join(host.cache, 'podsmith', 'engine');

  it('installs the engine on a host without one, then reuses it', async () => {
    const ssh = await connect();
    try {
      const cold = await bootstrapEngine(ssh);
      assert.equal(cold.uploaded, true);
      assert.equal(cold.facts.installed, 'missing');
      assert.equal(cold.engineDir, join(engineRoot(), cold.bundle.id));
      assert.deepEqual(readdirSync(engineRoot()), [cold.bundle.id], 'one directory, no upload leftovers');
      for (const f of cold.bundle.files) {
        const there = join(cold.engineDir, f.path);
        assert.equal(createHash('sha256').update(readFileSync(there)).digest('hex'), f.sha256, f.path);
        assert.equal(statSync(there).mode & 0o777, f.mode, f.path);
      }
      assert.equal(statSync(join(engineRoot(), '.')).mode & 0o777, 0o700);
      assert.equal(cold.daemon.home, host.home);
      assert.equal(cold.daemon.started, true);
      assert.ok(cold.doctor?.checks.length, 'the doctor ran after the install');
      const mtime = statSync(join(cold.engineDir, 'podsmith.js')).mtimeMs;

      const warm = await bootstrapEngine(ssh);
      assert.equal(warm.uploaded, false);
      assert.equal(warm.facts.installed, 'ok');
      assert.equal(warm.daemon.pid, cold.daemon.pid, 'the running daemon is reused');
      assert.equal(warm.daemon.started, false);
      assert.equal(warm.doctor, undefined);
      assert.equal(warm.timings.upload, undefined);
      assert.equal(statSync(join(warm.engineDir, 'podsmith.js')).mtimeMs, mtime, 'nothing was written again');
    } finally {
      ssh.close();
    }
  });

  it('installs a damaged copy again', async () => {
    const ssh = await connect();
    try {
      const first = await bootstrapEngine(ssh);
      const file = join(first.engineDir, 'wasm-supervisor.js');
      chmodSync(file, 0o644);
      writeFileSync(file, 'tampered');
      const again = await bootstrapEngine(ssh);
      assert.equal(again.facts.installed, 'corrupt');
      assert.equal(again.uploaded, true);
      assert.notEqual(readFileSync(file, 'utf8'), 'tampered');
      assert.deepEqual(readdirSync(engineRoot()), [first.bundle.id]);
    } finally {
      ssh.close();
    }
  });

  it('lets two clients bootstrap one host at once: one intact bundle, one daemon', async () => {
    // A fresh start: no engine, no daemon.
    await host.stopEngine();
    rmSync(engineRoot(), { recursive: true, force: true });
    // Every client uploads its own copy, then all rename at the same moment.
    let arrived = 0;
    let release!: () => void;
    const barrier = new Promise<void>((r) => (release = r));
    const beforeInstall = async (): Promise<void> => {
      if (++arrived === 3) release();
      await barrier;
    };
    const hosts = [0, 1, 2].map(
      (i) => new RemoteHost({ name: `c${i}`, dest: { alias: host.address, user: 'root', port: host.port }, ssh: { config: client.sshConfig(), env: client.env() }, bootstrap: { beforeInstall }, clientName: `test ${i}` }),
    );
    try {
      const clients = await Promise.all(hosts.map((h) => h.client()));
      const pids = new Set(clients.map((c) => c.info!.pid));
      assert.equal(pids.size, 1, 'one daemon');
      assert.deepEqual(hosts.map((h) => h.boot!.installed).sort(), ['present', 'present', 'renamed'], 'one rename won, the others found its bundle');
      const ids = readdirSync(engineRoot());
      assert.deepEqual(ids, [hosts[0].boot!.bundle.id], 'one bundle directory, no temporary directory left');
      for (const f of hosts[0].boot!.bundle.files) assert.equal(createHash('sha256').update(readFileSync(join(engineRoot(), ids[0], f.path))).digest('hex'), f.sha256);
      for (const c of clients) assert.deepEqual(await c.listPods(), []);
      clients.forEach((c) => c.close());
      assert.ok(alive([...pids][0]));
    } finally {
      hosts.forEach((h) => h.close());
    }
  });

  it('reuses the daemon the last connection left, with no command run there; bootstraps in full when it is gone', async () => {
    const remote = () => new RemoteHost({ name: 'box', dest: { alias: host.address, user: 'root', port: host.port }, ssh: { config: client.sshConfig(), env: client.env() }, clientName: 'reuse test' });
    // sshd logs every command a session runs (LogLevel VERBOSE); a streamlocal channel runs none.
    const commands = () => (readFileSync(join(host.dir, 'sshd.log'), 'utf8').match(/Starting session: command for root/g) ?? []).length;
    const records = join(client.home, '.cache', 'podsmith', 'hosts');
    rmSync(records, { recursive: true, force: true }); // what the earlier tests' connections recorded
    const first = remote();
    try {
      const c = await first.client();
      assert.equal(first.boot!.reused, undefined);
      assert.ok(first.boot!.timings.probe !== undefined, 'the first connection probes');
      c.close();
    } finally {
      first.close();
    }
    const [file] = readdirSync(records);
    assert.equal(statSync(join(records, file)).mode & 0o777, 0o600);
    assert.doesNotMatch(readFileSync(join(records, file), 'utf8'), /PRIVATE KEY|passphrase/i);

    const ran = commands();
    const second = remote();
    try {
      const c = await second.client();
      assert.equal(second.boot!.reused, true);
      assert.equal(second.boot!.daemon.pid, first.boot!.daemon.pid);
      assert.deepEqual(await c.listPods(), []);
      c.close();
    } finally {
      second.close();
    }
    assert.equal(commands(), ran, 'no command ran on the host');

    // The daemon is gone: the record's socket does not answer, so the host is probed and a daemon started.
    await host.stopEngine();
    const third = remote();
    try {
      const c = await third.client();
      assert.equal(third.boot!.reused, undefined);
      assert.equal(third.boot!.daemon.started, true);
      assert.notEqual(third.boot!.daemon.pid, first.boot!.daemon.pid);
      c.close();
    } finally {
      third.close();
    }
    assert.ok(commands() > ran);
    // A record naming another daemon (a restart by someone else, a reused socket path) is not trusted.
    const record = JSON.parse(readFileSync(join(records, file), 'utf8'));
    writeFileSync(join(records, file), JSON.stringify({ ...record, daemon: { ...record.daemon, pid: record.daemon.pid + 1 } }));
    const fourth = remote();
    try {
      (await fourth.client()).close();
      assert.equal(fourth.boot!.reused, undefined);
      assert.equal(fourth.boot!.daemon.pid, third.boot!.daemon.pid, 'the running daemon, found by daemon start');
    } finally {
      fourth.close();
    }
  });

  it('says when the host has no usable Node', async () => {
    const ssh = await connect();
    try {
      await assert.rejects(bootstrapEngine(ssh, { node: '/nonexistent/node' }), (e: Error) => e instanceof BootstrapError && /Node\.js is not installed on root@127\.0\.1\.22:\d+.*--node/.test(e.message));
      // A Node too old to run the engine (a stand-in that answers the probe as Node 18 would).
      const old = join(host.dir, 'old-node');
      writeFileSync(old, `#!/bin/sh\ncat >/dev/null\nprintf '{"node":"18.19.0","platform":"linux","arch":"${process.arch}","libc":"glibc","uid":0,"user":"root","home":"/root"}'\n`, { mode: 0o755 });
      await assert.rejects(bootstrapEngine(ssh, { node: old }), /has Node 18\.19\.0 .*needs Node 20 or later/);
    } finally {
      ssh.close();
    }
    assert.deepEqual(pidsWith(join(host.cache, 'podsmith', 'engine', '.tmp-')), []);
  });
});
