// port.dial without a VM: the host's AgentClient and the guest agent's Channel with its real dial handler,
// joined by a unix socket (standing in for the virtio-serial port), dialing real TCP servers on this host's
// loopback (in a guest, the pod's). Bytes both ways, half-closes both ways, many connections at once, a slow
// reader held back by credit, a refused port's message, resets both ways, and a session that ends closing
// every socket it opened. The VM test (pods.test.ts) forwards into a real guest.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closed, readAll, sha256 } from '../support/streams';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { AgentClient, AgentError } from '../../engine/pods/microvm/agent-client';
import { Channel, RequestError } from '../../engine/pods/microvm/agent/channel';
import { dialPort } from '../../engine/pods/microvm/agent/dial';
import type { Port } from '../../engine/pods/microvm/agent/port';
import { DIAL_REFUSED } from '../../engine/pods/microvm/protocol/messages';
import { STREAM_WINDOW } from '../../engine/pods/microvm/protocol/frames';
import { startPortForwardVia, type PodSide } from '../../engine/network/port-forward';

/** The guest end of the channel over a socket: what Channel needs of the virtio-serial Port. */
function socketPort(socket: Socket): Port {
  return {
    idlePollMs: 100,
    readLoop(onData: (chunk: Buffer) => void, onHangup: () => void) {
      socket.on('data', onData);
      socket.on('close', onHangup);
    },
    send: (frame: Buffer) => void (!socket.destroyed && socket.write(frame)),
    clear: () => undefined,
  } as unknown as Port;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}




describe('microVM port dial (host and guest ends, no VM)', () => {
  let dir: string;
  let guestSide: Server;
  let agent: AgentClient;
  let channel: Channel | undefined;
  /** Echoes what it gets and half-closes when the client does; counts its open sockets. */
  let echo: Server;
  let echoPort: number;
  const echoSockets = new Set<Socket>();
  let freePort: number;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'podsmith-dial-'));
    const path = join(dir, 'agent.sock');
    guestSide = createServer((s) => {
      channel = new Channel(socketPort(s));
      channel.handle('port.dial', async (p, session) => {
        await dialPort(p, session);
        return {};
      });
      channel.start();
    });
    await new Promise<void>((r) => guestSide.listen(path, () => r()));
    agent = await AgentClient.connect(path, { timeoutMs: 5000 });
    echo = createServer({ allowHalfOpen: true }, (s) => {
      echoSockets.add(s);
      s.on('close', () => echoSockets.delete(s));
      s.on('error', () => undefined);
      s.pipe(s);
    });
    echoPort = await listen(echo);
    const closed = createServer();
    freePort = await listen(closed);
    await new Promise<void>((r) => closed.close(() => r()));
  });

  after(async () => {
    agent?.close();
    await new Promise<void>((r) => echo.close(() => r()));
    await new Promise<void>((r) => guestSide.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('carries bytes both ways with half-closes, several connections at once', async () => {
    const payloads = [randomBytes(3 * STREAM_WINDOW + 17), Buffer.from('hello'), randomBytes(100_000)];
    const conns = await Promise.all(payloads.map(() => agent.dial(echoPort)));
    const replies = conns.map((c) => readAll(c));
    payloads.forEach((p, i) => conns[i].end(p));
    const got = await Promise.all(replies);
    got.forEach((g, i) => assert.equal(sha256(g), sha256(payloads[i]), `connection ${i}`));
    await Promise.all(conns.map(closed));
    for (const c of conns) assert.equal(c.errored, null);
  });

  it('a reader that stops holds the server back by credit, not by piling bytes up', async () => {
    let sent = 0;
    let source: Socket | undefined;
    const flood = createServer((s) => {
      source = s;
      s.on('error', () => undefined);
      const chunk = Buffer.alloc(64 * 1024, 7);
      const more = () => {
        while (sent < 64 * 1024 * 1024 && s.write(chunk)) sent += chunk.length;
      };
      s.on('drain', more);
      more();
    });
    const port = await listen(flood);
    const conn = await agent.dial(port);
    conn.pause();
    // Wait until the server's writes stop: held back by TCP, since the guest stopped reading the socket.
    let last = -1;
    while (sent !== last) {
      last = sent;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(sent < 32 * 1024 * 1024, `the server could write ${sent} bytes to a reader that took none`);
    conn.destroy();
    await closed(source!);
    await new Promise<void>((r) => flood.close(() => r()));
  });

  it('a port where nothing listens is refused with the connect error in words, and the channel goes on', async () => {
    await assert.rejects(agent.dial(freePort), (e: AgentError) => {
      assert.equal(e.code, DIAL_REFUSED);
      assert.equal(e.message, `connection refused: nothing listens on port ${freePort} in the pod (127.0.0.1 or ::1)`);
      return true;
    });
    const c = await agent.dial(echoPort);
    c.end('still here');
    assert.equal(String(await readAll(c)), 'still here');
  });

  it('a reset on either side reaches the other', async () => {
    // The host destroys its end: the guest's socket to the server closes.
    const c1 = await agent.dial(echoPort);
    c1.write('x');
    await once(c1, 'data');
    const before = new Set(echoSockets);
    assert.equal(before.size, 1);
    c1.destroy();
    const [server1] = before;
    await closed(server1);
    // The server resets its socket: the host's end errors.
    let serverSide: Socket | undefined;
    const rst = createServer((s) => {
      serverSide = s;
      s.on('error', () => undefined);
    });
    const port = await listen(rst);
    const c2 = await agent.dial(port);
    c2.on('error', () => undefined);
    c2.write('y');
    while (!serverSide) await new Promise((r) => setTimeout(r, 10));
    serverSide.resetAndDestroy();
    await closed(c2);
    assert.ok(c2.errored, 'the host end saw the reset as an error');
    await new Promise<void>((r) => rst.close(() => r()));
  });

  it('what the guest says in an error is made printable before it reaches a terminal', async () => {
    channel!.handle('port.dial', async () => {
      throw new RequestError('\x1b]0;owned\x07\x1b[2Jbad\nthings', 'DIAL_FAILED');
    });
    try {
      await assert.rejects(agent.dial(80), (e: AgentError) => {
        assert.equal(e.message, 'cannot connect to port 80 in the pod: ]0;owned [2Jbad things');
        return true;
      });
    } finally {
      channel!.handle('port.dial', async (p, session) => {
        await dialPort(p, session);
        return {};
      });
    }
  });

  it('port-forward over dial: "Handling connection", a refused port reported with the forward living on', async () => {
    const side: PodSide = {
      setupMs: 0,
      ended: new Promise(() => undefined),
      connect: () => Promise.reject(new Error('unused')),
      dial: (port) => agent.dial(port),
      close: async () => undefined,
    };
    const handled: number[] = [];
    const errors: string[] = [];
    const fwd = await startPortForwardVia(side, [{ local: 0, remote: echoPort }, { local: 0, remote: freePort }], {
      onConnection: (p) => handled.push(p.remote),
      onConnectionError: (_p, m) => errors.push(m),
    });
    try {
      const [toEcho, toNothing] = fwd.ports;
      const { connect } = await import('node:net');
      const refused = connect(toNothing.local, '127.0.0.1');
      refused.on('error', () => undefined);
      await closed(refused);
      assert.deepEqual(errors, [`pod port ${freePort}: connection refused: nothing listens on port ${freePort} in the pod (127.0.0.1 or ::1)`]);
      const twice = await Promise.all(
        ['one', 'two'].map(async (word) => {
          const s: Duplex = connect({ port: toEcho.local, host: '127.0.0.1', allowHalfOpen: true });
          await once(s, 'connect');
          s.end(word);
          return String(await readAll(s));
        }),
      );
      assert.deepEqual(twice, ['one', 'two']);
      assert.deepEqual(handled.sort(), [echoPort, echoPort, freePort].sort());
    } finally {
      await fwd.close();
    }
  });

  it('a session that ends closes every connection it opened', async () => {
    const conns = await Promise.all([agent.dial(echoPort), agent.dial(echoPort)]);
    for (const c of conns) c.on('error', () => undefined);
    conns.forEach((c) => c.write('z'));
    await Promise.all(conns.map((c) => once(c, 'data')));
    assert.equal(echoSockets.size, 2);
    const servers = [...echoSockets];
    agent.close();
    await Promise.all(conns.map(closed));
    await Promise.all(servers.map(closed));
    assert.equal(echoSockets.size, 0);
  });
});
