// pods/dial through the real daemon: connections into a pod made by its runtime (the way microVM pods are
// reached), carried on attach connections. The test runtime's pods are host processes, so its dial connects to
// the host's loopback: here to a busybox `nc` echo server running as the pod's container. Bytes and
// half-closes both ways, two connections at once, a refused port's error before any stream, a reset, the port
// forward's choice of the daemon path from the daemon's answer, the forward ending with the pod, and the
// netns dialer's protocol served over dials (what `port-forward --host` reaches on the pod's host).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closed, readAll, sha256 } from '../support/streams';
import { randomBytes } from 'node:crypto';
import { connect, createServer, type Socket } from 'node:net';
import { connectDaemon } from '../../engine/client/connect';
import type { DaemonClient } from '../../engine/client/daemon-client';
import { startDialServer } from '../../engine/network/dial-server';
import { openPodSide } from '../../engine/network/pod-side';
import { startPortForwardVia } from '../../engine/network/port-forward';
import { PodError } from '../../engine/pods/types';
import { daemonPaths } from '../../engine/daemon/paths';
import { FrameDecoder } from '../../engine/protocol/frames';
import { ATTACH_PREFIX, Frame } from '../../engine/protocol/messages';
import { cleanupHome, makeHome, startTestDaemon, testDaemonCommand, waitFor } from './support/harness';
import { RawRpc } from './support/raw-rpc';

let home: string;
let client: DaemonClient;
let echoPort: number;
let freePort: number;

function unusedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const pod = (name: string, port: number) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  containers:
    - name: echo
      image: busybox
      command: ["nc", "-ll", "-p", "${port}", "-e", "cat"]
`;



/** Dials until the pod's server listens (nc starts after the pod is reported running). */
async function dialWhenUp(pod: string, port: number) {
  let last: unknown;
  for (const deadline = Date.now() + 15_000; Date.now() < deadline; ) {
    try {
      return await client.dial(pod, port);
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw last;
}

before(async () => {
  home = makeHome();
  await startTestDaemon(home);
  client = await connectDaemon({ home, daemonCommand: testDaemonCommand() });
  echoPort = await unusedPort();
  freePort = await unusedPort();
  await client.runPod({ manifest: pod('echo', echoPort), fileName: 'echo.yaml' });
  (await dialWhenUp('echo', echoPort)).destroy();
});

after(async () => {
  client?.close();
  assert.deepEqual(await cleanupHome(home), [], 'processes left behind');
});

describe('pods/dial through the daemon', () => {
  it('carries bytes both ways with half-closes, two connections at once', async () => {
    const payloads = [randomBytes(3 * 1024 * 1024 + 5), Buffer.from('short')];
    const conns = await Promise.all(payloads.map(() => client.dial('echo', echoPort)));
    const replies = conns.map(readAll);
    payloads.forEach((p, i) => conns[i].end(p));
    const got = await Promise.all(replies);
    got.forEach((g, i) => assert.equal(sha256(g), sha256(payloads[i]), `connection ${i}`));
    await Promise.all(conns.map(closed));
    for (const c of conns) assert.equal(c.errored, null);
  });

  it('a refused port fails the request itself with the runtime\'s words; an unknown pod is NOT_FOUND', async () => {
    await assert.rejects(client.dial('echo', freePort), (e: PodError) => e instanceof PodError && e.code === 'NOT_RUNNING' && e.message === `connection refused: nothing listens on port ${freePort} in the pod`);
    await assert.rejects(client.dial('nope', echoPort), (e: PodError) => e instanceof PodError && e.code === 'NOT_FOUND');
  });

  it('a server that resets the connection ends the client\'s stream with an error', async () => {
    let server: Socket | undefined;
    const rst = createServer((s) => {
      server = s;
      s.on('error', () => undefined);
    });
    const port = await new Promise<number>((r) => rst.listen(0, '127.0.0.1', () => r((rst.address() as { port: number }).port)));
    const conn = await client.dial('echo', port);
    conn.on('error', () => undefined);
    await waitFor('the server to accept', () => server !== undefined);
    server!.resetAndDestroy();
    await closed(conn);
    assert.ok(conn.errored, 'the stream ended with an error');
    rst.close();
  });

  it('a connection reset before the client attaches still ends the session with an error frame', async () => {
    let server: Socket | undefined;
    const rst = createServer((s) => {
      server = s;
      s.on('error', () => undefined);
    });
    const port = await new Promise<number>((r) => rst.listen(0, '127.0.0.1', () => r((rst.address() as { port: number }).port)));
    const rpc = await RawRpc.open(home);
    try {
      const r = await rpc.call('pods/dial', { pod: 'echo', port });
      const session = (r.result as { session: string }).session;
      await waitFor('the server to accept', () => server !== undefined);
      server!.resetAndDestroy();
      // One more round trip: the daemon has seen the reset by then (same loopback, earlier in its queue).
      await rpc.call('pods/get', { pod: 'echo' });
      const frames: { type: Frame; payload: Buffer }[] = [];
      const decoder = new FrameDecoder();
      const socket = connect(daemonPaths(home).socket);
      socket.on('data', (b: Buffer) => frames.push(...decoder.push(b)));
      socket.write(`${ATTACH_PREFIX}${session}\n`);
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([closed(socket), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('the session never ended')), 15_000)))]);
      } finally {
        clearTimeout(timer);
        socket.destroy();
      }
      assert.equal(frames.at(-1)?.type, Frame.Error, JSON.stringify(frames.map((f) => Frame[f.type])));
      assert.match(String(frames.at(-1)!.payload), /ECONNRESET/);
    } finally {
      rpc.socket.destroy();
      rst.close();
    }
  });

  it('port-forward takes the dial path from the daemon\'s answer and ends when the pod goes away', async () => {
    const port = await unusedPort();
    await client.runPod({ manifest: pod('short-lived', port), fileName: 'short.yaml' });
    (await dialWhenUp('short-lived', port)).destroy();
    const side = await openPodSide(client, 'short-lived', { watchIntervalMs: 100 });
    assert.ok(side.dial, 'the daemon said: dial');
    const errors: string[] = [];
    const fwd = await startPortForwardVia(side, [{ local: 0, remote: port }, { local: 0, remote: freePort }], { onConnectionError: (_p, m) => errors.push(m) });
    const words = await Promise.all(
      ['a', 'b'].map(async (w) => {
        const s = connect({ port: fwd.ports[0].local, host: '127.0.0.1', allowHalfOpen: true });
        s.end(w.repeat(1000));
        return String(await readAll(s));
      }),
    );
    assert.deepEqual(words, ['a'.repeat(1000), 'b'.repeat(1000)]);
    const refused = connect({ port: fwd.ports[1].local, host: '127.0.0.1' });
    refused.on('error', () => undefined);
    await closed(refused);
    assert.deepEqual(errors, [`pod port ${freePort}: connection refused: nothing listens on port ${freePort} in the pod`]);
    await client.deletePod({ pod: 'short-lived', force: true });
    assert.deepEqual(await fwd.done, { reason: 'pod short-lived was deleted' });
  });

  it('serves the netns dialer\'s protocol over dials, as the remote end of port-forward --host does for such a pod', async () => {
    const server = await startDialServer((port) => client.dial('echo', port));
    const errors: string[] = [];
    // The client side as over SSH: one stream to the socket per connection, port header, status byte.
    const viaSocket = await startPortForwardVia(
      {
        setupMs: 0,
        ended: new Promise(() => undefined),
        connect: () =>
          new Promise((resolve, reject) => {
            const s = connect({ path: server.socketPath, allowHalfOpen: true });
            s.once('connect', () => resolve(s));
            s.once('error', reject);
          }),
        close: () => server.close(),
      },
      [{ local: 0, remote: echoPort }, { local: 0, remote: freePort }],
      { onConnectionError: (_p, m) => errors.push(m) },
    );
    try {
      const big = randomBytes(2 * 1024 * 1024);
      const s = connect({ port: viaSocket.ports[0].local, host: '127.0.0.1', allowHalfOpen: true });
      const reply = readAll(s);
      s.end(big);
      assert.equal(sha256(await reply), sha256(big));
      const refused = connect({ port: viaSocket.ports[1].local, host: '127.0.0.1' });
      refused.on('error', () => undefined);
      await closed(refused);
      assert.deepEqual(errors, [`pod port ${freePort}: connection refused: nothing listens on port ${freePort} in the pod`]);
    } finally {
      await viaSocket.close();
    }
  });
});
