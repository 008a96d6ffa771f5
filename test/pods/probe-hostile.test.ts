// gRPC probes against a hostile server in the pod's network namespace: one that answers the health check with a
// 4 GiB message and streams it forever (respecting HTTP/2 flow control, so nothing stops it but the client),
// and one that sends headers and then nothing. Each probe fails with a clear message, the connection is closed
// at the reply cap or the timeout (the server sees it end), and the check helper stays small, unprivileged and
// alive for the next check.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { AGENT_MARKER, MAX_GRPC_REPLY } from '../../engine/pods/native/netns-agent';
import { readPod } from '../../engine/pods/native/state';
import { container, IMAGE, podManifest, podTestEnv, until, whyNoNativePods, type PodTestEnv } from './fixtures';

const HOSTILE_SERVER = String.raw`
const http2 = require('http2');
for (const [port, mode] of [[50051, 'flood'], [50052, 'silent']]) {
  const server = http2.createServer();
  server.on('session', (s) => s.on('close', () => process.stdout.write(mode + ' closed\n')));
  server.on('stream', (stream) => {
    stream.on('error', () => {});
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
    if (mode === 'silent') return;
    // A gRPC message announced as 4 GiB, then bytes for as long as the client reads.
    stream.write(Buffer.from([0, 0xff, 0xff, 0xff, 0xff]));
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    const pump = () => {
      while (!stream.destroyed && stream.write(chunk));
      if (!stream.destroyed) stream.once('drain', pump);
    };
    pump();
  });
  server.listen(port, '127.0.0.1', () => process.stdout.write('listening ' + port + '\n'));
}
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

/** The lines the hostile server printed so far, and a way to wait for one. */
interface Hostile {
  child: ChildProcess;
  lines: string[];
  waitLine(line: string, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

function startHostile(pausePid: number): Hostile {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const child = spawn('nsenter', [`--net=/proc/${pausePid}/ns/net`, '--', process.execPath, '-e', HOSTILE_SERVER], { stdio: ['pipe', 'pipe', 'inherit'], env });
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  let buf = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => {
    buf += s;
    const parts = buf.split('\n');
    buf = parts.pop()!;
    lines.push(...parts);
    for (const w of waiters.splice(0)) w();
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    child,
    lines,
    waitLine(line, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the hostile server never printed "${line}" (it printed ${JSON.stringify(lines)})`)), timeoutMs);
        const check = () => {
          if (lines.includes(line)) {
            clearTimeout(timer);
            resolve();
          } else waiters.push(check);
        };
        check();
      });
    },
    async stop() {
      child.stdin!.end();
      await exited;
    },
  };
}

/** Network check helpers started by this process (the runtime runs in it here). */
function agents(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(AGENT_MARKER);
      } catch {
        return false;
      }
    })
    .map(Number);
}

function status(pid: number, field: string): string {
  return new RegExp(`^${field}:\\s*(.*)$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '';
}

describe('a gRPC probe against a hostile server', { skip: whyNoNativePods() }, () => {
  let env: PodTestEnv;
  let hostile: Hostile | undefined;

  before(async () => {
    env = await podTestEnv();
  });

  after(async () => {
    await hostile?.stop();
    await env?.runtime.deletePod({ pod: 'hostile', force: true }).catch(() => undefined);
    const leaks = await env?.cleanup();
    await env?.dispose();
    assert.deepEqual(leaks, []);
  });

  it('fails with a clear message, ends the connection at the cap and the timeout, and the helper stays small', async () => {
    const probe = (port: number) => ({ grpc: { port }, initialDelaySeconds: 2, periodSeconds: 30, timeoutSeconds: 1, failureThreshold: 1 });
    const s = await env.runtime.runPod({
      manifest: podManifest('hostile', {
        terminationGracePeriodSeconds: 1,
        containers: [
          { name: 'flood', image: IMAGE, command: ['sleep', '1000'], livenessProbe: probe(50051) },
          { name: 'silent', image: IMAGE, command: ['sleep', '1000'], livenessProbe: probe(50052) },
        ],
      }),
    });
    const record = await readPod(env.home, s.uid);
    hostile = startHostile(record!.pause!.pid);
    await hostile.waitLine('listening 50051');
    await hostile.waitLine('listening 50052');

    // The probes' connections end: at the reply cap for the flood, at the timeout for the silent one.
    await hostile.waitLine('flood closed');
    await hostile.waitLine('silent closed');
    const failed = await until(
      'both liveness failures',
      async () => {
        const x = await env.runtime.podStatus('hostile');
        const msgs = ['flood', 'silent'].map((c) => container(x, c).lastState.terminated?.message);
        return msgs.every(Boolean) ? msgs : undefined;
      },
      30_000,
    );
    assert.equal(failed[0], `Liveness probe failed: gRPC reply exceeds ${MAX_GRPC_REPLY} bytes (a health check answer is a few bytes); connection closed`);
    assert.equal(failed[1], 'Liveness probe failed: timed out after 1000 ms');

    const [agent] = agents();
    assert.ok(agent, 'the check helper is still there for the next check');
    assert.equal(status(agent, 'Uid').split(/\s+/)[0], '65534', 'it runs as nobody');
    assert.equal(status(agent, 'CapEff'), '0000000000000000', 'with no capabilities');
    const peakKiB = Number(status(agent, 'VmHWM').split(/\s+/)[0]);
    assert.ok(peakKiB < 150 * 1024, `its memory stayed bounded (peak ${peakKiB} KiB)`);
  });
});
