// (h) port-forward: the ways to reach a port on a pod's loopback from the host, side by side on one echo server
// in a scratch network namespace: the netns-dialer helper (what `podsmith port-forward` uses), one
// `nsenter busybox nc` per connection, and pasta's spliced -t forward, against a direct loopback connection to the
// same echo program on the host (the floor). Per path: connect + one echoed byte (p50/p95 over the connections)
// and echo throughput; plus session set-up, loopback bring-up and pasta start times.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { bringUpLoopback } from '../engine/network/loopback';
import { startPasta, stopPasta } from '../engine/network/pasta';
import { portForward } from '../engine/network/port-forward';
import { findExecutable } from '../engine/runtime';
import { startEchoServer, startNetnsHolder } from '../test/network/support/netns-fixtures';
import { summarize, type Stats } from './stats';

const PLAN = { connections: 300, megabytes: 256, sessions: 5, loopbacks: 10, pastaStarts: 5 };
const BYTES = PLAN.megabytes * 1024 * 1024;

/** Why this part cannot run here, or undefined. */
export function whyNoPortForwardBench(): string | undefined {
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  if (!findExecutable('nsenter')) return 'nsenter is not installed (apt-get install util-linux)';
  if (!findExecutable('pasta')) return 'pasta is not installed (apt-get install passt)';
  return undefined;
}

/** Connect, send one byte, wait for its echo, close: the time to the first echoed byte. */
async function connectionTimes(port: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < PLAN.connections; i++) {
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

interface PathResult {
  name: string;
  connect: Stats;
  /** MB/s, or why it failed. */
  throughput: number | string;
  note?: string;
}

async function measure(name: string, port: number, note?: string): Promise<PathResult> {
  process.stderr.write(`(h) port-forward: ${name} ...\n`);
  const times = await connectionTimes(port);
  let mbps: number | string;
  try {
    mbps = await throughput(port);
  } catch (e) {
    mbps = `failed: ${(e as Error).message}`;
  }
  return { name, connect: summarize(times), throughput: mbps, note };
}

export async function runPortForwardBench(): Promise<{ text: string; json: object }> {
  const holder = await startNetnsHolder();
  const stateDir = mkdtempSync(join(tmpdir(), 'podsmith-bench-pf-'));
  const paths: PathResult[] = [];
  const timings: Record<string, Stats> = {};
  try {
    const lo: number[] = [];
    for (let i = 0; i < PLAN.loopbacks; i++) {
      const t = performance.now();
      await bringUpLoopback(holder.pid);
      lo.push(performance.now() - t);
    }
    timings.loopbackBringUp = summarize(lo);
    const echo = await startEchoServer(holder.pid, 9000);

    const hostEcho = await startEchoServer(undefined, 0);
    paths.push(await measure('direct (host loopback, the floor)', hostEcho.port));
    await hostEcho.stop();

    const setups: number[] = [];
    for (let i = 0; i < PLAN.sessions; i++) {
      const s = await portForward(holder.pid, 0, 9000);
      setups.push(s.setupMs);
      await s.close();
    }
    timings.portForwardSetup = summarize(setups);
    const pf = await portForward(holder.pid, 0, 9000);
    paths.push(await measure('netns-dialer (podsmith port-forward)', pf.ports[0].local));
    await pf.close();

    const nc = await ncForwarder(holder.pid, 9000);
    paths.push(await measure('nsenter + busybox nc per connection', (nc.address() as { port: number }).port));
    await new Promise((r) => nc.close(r));

    const stateFile = join(stateDir, 'pasta.json');
    const starts: number[] = [];
    for (let i = 0; i < PLAN.pastaStarts; i++) {
      const rec = await startPasta({ netns: holder.pid, stateFile, outbound: false, hostPorts: [{ hostPort: 18000 + i, containerPort: 9000, hostIP: '127.0.0.1' }] });
      starts.push(rec.startMs);
      if (i < PLAN.pastaStarts - 1) await stopPasta(stateFile);
    }
    timings.pastaStart = summarize(starts);
    paths.push(await measure('pasta -t (spliced)', 18000 + PLAN.pastaStarts - 1));
    await stopPasta(stateFile);
    const outStarts: number[] = [];
    for (let i = 0; i < PLAN.pastaStarts; i++) {
      const rec = await startPasta({ netns: holder.pid, stateFile, outbound: true, hostPorts: [{ hostPort: 18010 + i, containerPort: 9000, hostIP: '127.0.0.1' }] });
      outStarts.push(rec.startMs);
      await stopPasta(stateFile);
    }
    timings.pastaStartWithOutbound = summarize(outStarts);
    await echo.stop();
  } finally {
    await holder.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }

  const floor = paths[0];
  const ms = (x: number) => `${x.toFixed(2)} ms`;
  const mb = (x: number | string) => (typeof x === 'number' ? `${x.toFixed(0)} MB/s` : x);
  const lines = [
    '',
    `Port-forward paths into a pod's loopback (echo server; ${PLAN.connections} connections, ${PLAN.megabytes} MiB echoed each way)`,
    `  ${'path'.padEnd(40)}${'connect+echo p50 / p95'.padStart(26)}${'÷ floor'.padStart(9)}${'throughput'.padStart(13)}${'floor ÷'.padStart(9)}`,
    ...paths.map((p) => {
      const tput = typeof p.throughput === 'number' && typeof floor.throughput === 'number' ? `${(floor.throughput / p.throughput).toFixed(1)}×` : '-';
      return `  ${p.name.padEnd(40)}${`${ms(p.connect.p50)} / ${ms(p.connect.p95)}`.padStart(26)}${`${(p.connect.p50 / floor.connect.p50).toFixed(1)}×`.padStart(9)}${mb(p.throughput).padStart(13)}${tput.padStart(9)}`;
    }),
    `  port-forward session set-up p50 ${ms(timings.portForwardSetup.p50)}; loopback bring-up (nsenter + ip -batch) p50 ${ms(timings.loopbackBringUp.p50)}`,
    `  pasta start p50 ${ms(timings.pastaStart.p50)} (hostPorts only), ${ms(timings.pastaStartWithOutbound.p50)} with outbound (--config-net)`,
  ];
  return { text: lines.join('\n'), json: { plan: PLAN, paths, timings } };
}
