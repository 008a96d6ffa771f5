import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { portForwardCommand } from '../../engine/cli/commands/port-forward';
import { UsageError } from '../../engine/cli/files';
import type { Io } from '../../engine/cli/io';
import { bringUpLoopback } from '../../engine/network/loopback';
import { startEchoServer, startNetnsHolder, type EchoServer, type NetnsHolder } from './support/netns-fixtures';

function capture(): Io & { out_: string; err_: string } {
  const io = { out_: '', err_: '', out: (s: string) => void (io.out_ += s), err: (s: string) => void (io.err_ += s) };
  return io;
}

function roundTrip(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    const c = connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => c.end(text));
    c.setEncoding('utf8').on('data', (s: string) => (got += s));
    c.on('end', () => resolve(got));
    c.on('error', reject);
  });
}

describe('podsmith port-forward', () => {
  let holder: NetnsHolder;
  let echo: EchoServer;
  before(async () => {
    holder = await startNetnsHolder();
    await bringUpLoopback(holder.pid);
    echo = await startEchoServer(holder.pid, 0);
  });
  after(async () => {
    await echo?.stop();
    await holder?.stop();
  });

  it('forwards until aborted, printing what kubectl prints', async () => {
    const io = capture();
    const ac = new AbortController();
    const asked: string[] = [];
    let ready!: (ports: { local: number }[]) => void;
    const up = new Promise<{ local: number }[]>((r) => (ready = r));
    const done = portForwardCommand(['web', `:${echo.port}`], io, {
      resolvePod: async (pod) => {
        asked.push(pod);
        return holder.pid;
      },
      signal: ac.signal,
      onReady: ready,
    });
    const [port] = await up;
    assert.equal(await roundTrip(port.local, 'via the cli'), 'via the cli');
    ac.abort();
    assert.equal(await done, 0);
    assert.deepEqual(asked, ['web']);
    assert.match(io.out_, new RegExp(`^Forwarding from 127\\.0\\.0\\.1:${port.local} -> ${echo.port}\\nHandling connection for ${port.local}\\n$`));
    assert.equal(io.err_, '');
  });

  it('exits 1 with the reason when the pod goes away', async () => {
    const pod = await startNetnsHolder();
    try {
      const io = capture();
      let ready!: () => void;
      const up = new Promise<void>((r) => (ready = r));
      const done = portForwardCommand(['gone', ':80'], io, { resolvePod: async () => pod.pid, onReady: () => ready() });
      await up;
      await pod.stop();
      assert.equal(await done, 1);
      assert.match(io.err_, /lost connection to pod gone: the pod's network namespace of pid \d+ is gone/);
    } finally {
      await pod.stop();
    }
  });

  it('checks its arguments before anything else', async () => {
    const resolvePod = async () => holder.pid;
    await assert.rejects(portForwardCommand([], capture(), { resolvePod }), UsageError);
    await assert.rejects(portForwardCommand(['web'], capture(), { resolvePod }), /missing at least one/);
    await assert.rejects(portForwardCommand(['web', '8080:http'], capture(), { resolvePod }), UsageError);
    await assert.rejects(portForwardCommand(['web', '80', '--address', 'example.com'], capture(), { resolvePod }), UsageError);
    await assert.rejects(portForwardCommand(['web', '80'], capture()), /needs the engine daemon/);
    const io = capture();
    assert.equal(await portForwardCommand(['--help'], io), 0);
    assert.match(io.out_, /^Usage: podsmith port-forward POD/);
  });
});
