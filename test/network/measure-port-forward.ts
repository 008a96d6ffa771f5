// Measures loopback setup and the ways to reach a port on a pod's loopback from the host: the netns-dialer helper (what
// port-forward uses), one `nsenter busybox nc` per connection, and pasta's spliced -t forward, against a
// direct loopback connection as the floor. Not a test: `node --import tsx test/network/measure-port-forward.ts`.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer, type Server } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bringUpLoopback } from '../../engine/network/loopback';
import { startPasta, stopPasta } from '../../engine/network/pasta';
import { portForward } from '../../engine/network/port-forward';
import { startEchoServer, startNetnsHolder } from './support/netns-fixtures';

const CONNS = Number(process.env.CONNS ?? 300);
const BYTES = Number(process.env.MB ?? 256) * 1024 * 1024;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Connect, send one byte, wait for its echo, close: the time to the first echoed byte. */
async function connectionTimes(port: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < CONNS; i++) {
    const t = performance.now();
    await new Promise<void>((resolve, reject) => {
      const c = connect(port, '127.0.0.1', () => c.write('x'));
      c.once('data', () => {
        times.push(performance.now() - t);
        c.end();
      });
      c.on('error', reject);
      c.on('close', () => resolve());
    });
  }
  return times;
}

/** Sends BYTES through the echo and reads them back; MB/s of payload each way. */
async function throughput(port: number): Promise<number> {
  const chunk = Buffer.alloc(1 << 20, 7);
  const t = performance.now();
  await new Promise<void>((resolve, reject) => {
    let got = 0;
    const c = connect(port, '127.0.0.1', async () => {
      for (let sent = 0; sent < BYTES; sent += chunk.length) if (!c.write(chunk)) await new Promise((r) => c.once('drain', r));
      c.end();
    });
    c.on('data', (d: Buffer) => (got += d.length));
    c.on('error', reject);
    c.on('close', () => (got === BYTES ? resolve() : reject(new Error(`echoed ${got} of ${BYTES} bytes`))));
  });
  return BYTES / 1e6 / ((performance.now() - t) / 1000);
}

/** The per-connection alternative: every accepted socket gets its own nsenter + busybox nc. */
function ncForwarder(pid: number, remote: number): Promise<Server> {
  const server = createServer({ allowHalfOpen: true }, (client) => {
    const nc: ChildProcess = spawn('nsenter', [`--net=/proc/${pid}/ns/net`, '--', 'busybox', 'nc', '127.0.0.1', String(remote)], {
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    client.pipe(nc.stdin!);
    nc.stdout!.pipe(client);
    client.on('error', () => nc.kill());
    nc.stdin!.on('error', () => client.destroy());
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r(server)));
}

function report(name: string, times: number[], mbps: number | string, extra = ''): void {
  console.log(`${name.padEnd(26)} conn+echo median ${median(times).toFixed(2)} ms  p90 ${[...times].sort((a, b) => a - b)[Math.floor(times.length * 0.9)].toFixed(2)} ms  throughput ${typeof mbps === 'number' ? mbps.toFixed(0) + ' MB/s' : mbps}${extra}`);
}

async function main(): Promise<void> {
  const holder = await startNetnsHolder();
  const stateDir = mkdtempSync(join(tmpdir(), 'podsmith-measure-'));
  try {
    const loTimes: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t = performance.now();
      await bringUpLoopback(holder.pid);
      loTimes.push(performance.now() - t);
    }
    console.log(`bringUpLoopback (one nsenter + ip -batch) median ${median(loTimes).toFixed(1)} ms`);
    const echo = await startEchoServer(holder.pid, 9000);
    // Floor: the same echo program directly on the host's loopback.
    const hostEcho = await startEchoServer(undefined, 0);
    report('direct (host loopback)', await connectionTimes(hostEcho.port), await throughput(hostEcho.port));
    await hostEcho.stop();

    const setups: number[] = [];
    for (let i = 0; i < 5; i++) {
      const s = await portForward(holder.pid, 0, 9000);
      setups.push(s.setupMs);
      await s.close();
    }
    const pf = await portForward(holder.pid, 0, 9000);
    report('netns-dialer (chosen)', await connectionTimes(pf.ports[0].local), await throughput(pf.ports[0].local), `  session setup median ${median(setups).toFixed(0)} ms`);
    await pf.close();

    const nc = await ncForwarder(holder.pid, 9000);
    const ncPort = (nc.address() as { port: number }).port;
    let ncMbps: number | string;
    try {
      ncMbps = await throughput(ncPort);
    } catch (e) {
      ncMbps = `failed: ${(e as Error).message}`;
    }
    report('nsenter+nc per connection', await connectionTimes(ncPort), ncMbps);
    await new Promise((r) => nc.close(r));

    const pastaStarts: number[] = [];
    const stateFile = join(stateDir, 'pasta.json');
    for (let i = 0; i < 5; i++) {
      const rec = await startPasta({ netns: holder.pid, stateFile, outbound: false, hostPorts: [{ hostPort: 18000 + i, containerPort: 9000, hostIP: '127.0.0.1' }] });
      pastaStarts.push(rec.startMs);
      if (i < 4) await stopPasta(stateFile);
    }
    report('pasta -t (spliced)', await connectionTimes(18004), await throughput(18004), `  start median ${median(pastaStarts).toFixed(0)} ms`);
    await stopPasta(stateFile);
    const outStarts: number[] = [];
    for (let i = 0; i < 5; i++) {
      const rec = await startPasta({ netns: holder.pid, stateFile, outbound: true, hostPorts: [{ hostPort: 18010 + i, containerPort: 9000, hostIP: '127.0.0.1' }] });
      outStarts.push(rec.startMs);
      await stopPasta(stateFile);
    }
    console.log(`pasta --config-net start median ${median(outStarts).toFixed(0)} ms`);
    await echo.stop();
  } finally {
    await holder.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
