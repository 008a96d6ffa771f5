import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loopbackState } from '../../engine/network/loopback';
import { connectPod, disconnectPod } from '../../engine/network/pod-network';
import { processAlive } from '../../engine/network/process-identity';
import { findExecutable } from '../../engine/network/run-tool';
import { startEchoServer, startNetnsHolder, type EchoServer, type NetnsHolder } from './support/netns-fixtures';

function roundTrip(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    const c = connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => c.end(text));
    c.setEncoding('utf8').on('data', (s: string) => (got += s));
    c.on('end', () => resolve(got));
    c.on('error', reject);
  });
}

describe('connectPod', () => {
  let holder: NetnsHolder;
  let echo: EchoServer | undefined;
  let dir: string;
  before(async () => {
    holder = await startNetnsHolder();
    dir = mkdtempSync(join(tmpdir(), 'podsmith-podnet-'));
  });
  after(async () => {
    await disconnectPod(join(dir, 'pasta.json')).catch(() => {});
    await echo?.stop();
    await holder?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('brings loopback up and needs nothing else for a pod without network wishes', async () => {
    const net = await connectPod({ netns: holder.pid, stateFile: join(dir, 'pasta.json'), outbound: false });
    assert.equal(net.loopback.up, true);
    assert.equal(net.pasta, undefined);
    assert.equal(net.forwarder, undefined);
    assert.deepEqual(await loopbackState(holder.pid), net.loopback);
    echo = await startEchoServer(holder.pid, 19505); // loopback is up now
  });

  it('uses pasta for hostPorts, and keeps a running one on a second call (daemon restart)', { skip: !findExecutable('pasta') && 'no pasta' }, async () => {
    const stateFile = join(dir, 'pasta.json');
    const opts = { netns: holder.pid, stateFile, outbound: false, hostPorts: [{ hostPort: 19501, containerPort: 19505, hostIP: '127.0.0.1' }] };
    const net = await connectPod(opts);
    try {
      assert.ok(net.pasta);
      assert.deepEqual(net.warnings, []);
      assert.equal(await roundTrip(19501, 'pasta'), 'pasta');
      const again = await connectPod(opts);
      assert.equal(again.pasta!.pid, net.pasta.pid);
    } finally {
      await disconnectPod(stateFile, net);
    }
    assert.equal(processAlive(net.pasta.pid), false);
  });

  it('falls back to its own forwarder for TCP hostPorts when pasta is unavailable', async () => {
    const stateFile = join(dir, 'fallback.json');
    const net = await connectPod({
      netns: holder.pid,
      stateFile,
      pastaPath: join(dir, 'no-such-pasta'),
      hostPorts: [{ hostPort: 19502, containerPort: 19505, hostIP: '127.0.0.1' }],
    });
    try {
      assert.equal(net.pasta, undefined);
      assert.ok(net.forwarder);
      assert.deepEqual(net.forwarder.ports, [{ address: '127.0.0.1', local: 19502, remote: 19505 }]);
      assert.match(net.warnings[0], /no outbound network for the pod: .*no-such-pasta not found/);
      assert.match(net.warnings[1], /forwarded by the Podsmith daemon/);
      assert.equal(await roundTrip(19502, 'fallback'), 'fallback');
    } finally {
      await disconnectPod(stateFile, net);
    }
    await assert.rejects(roundTrip(19502, 'x'), /ECONNREFUSED/);
    await assert.rejects(
      connectPod({ netns: holder.pid, stateFile, pastaPath: join(dir, 'no-such-pasta'), hostPorts: [{ hostPort: 19503, containerPort: 19503, protocol: 'UDP' }] }),
      /hostPort 19503\/UDP needs pasta/,
    );
  });
});
