// HTTP, TCP and gRPC checks from inside a pod's network namespace. Node cannot enter a namespace, so one small
// Node process per pod is started there (`nsenter --net=/proc/<pause pid>/ns/net`) and answers check requests
// over stdin/stdout as JSON lines; it lives as long as the pod is supervised. The agent's code is kept as a
// plain script string so it runs the same from sources, tests and the bundled build.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { findExecutable } from '../../runtime';

export const AGENT_MARKER = 'podsmith-netns-agent';

const AGENT_SOURCE = `
/* ${AGENT_MARKER} */
const net = require('net'), http = require('http'), https = require('https'), http2 = require('http2');
const send = (m) => process.stdout.write(JSON.stringify(m) + '\\n');
process.stdin.on('end', () => process.exit(0));
require('readline').createInterface({ input: process.stdin }).on('line', (line) => {
  let q;
  try { q = JSON.parse(line); } catch { return; }
  let settled = false;
  const done = (ok, message) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    send({ id: q.id, ok, message });
  };
  const timer = setTimeout(() => done(false, 'timed out after ' + q.timeoutMs + ' ms'), q.timeoutMs);
  try {
    if (q.kind === 'tcp') {
      const s = net.connect({ host: q.host, port: q.port }, () => { s.destroy(); done(true, 'connected'); });
      s.on('error', (e) => done(false, e.message));
    } else if (q.kind === 'http') {
      const mod = q.scheme === 'HTTPS' ? https : http;
      const req = mod.request({ host: q.host, port: q.port, path: q.path, method: 'GET', headers: q.headers, rejectUnauthorized: false }, (res) => {
        res.resume();
        const code = res.statusCode || 0;
        done(code >= 200 && code < 400, 'HTTP probe failed with statuscode: ' + code);
      });
      req.on('error', (e) => done(false, e.message));
      req.end();
    } else if (q.kind === 'grpc') {
      const client = http2.connect('http://' + (q.host.includes(':') ? '[' + q.host + ']' : q.host) + ':' + q.port);
      client.on('error', (e) => done(false, e.message));
      const name = Buffer.from(q.service || '', 'utf8');
      const msg = name.length ? Buffer.concat([Buffer.from([0x0a, name.length]), name]) : Buffer.alloc(0);
      const frame = Buffer.alloc(5 + msg.length);
      frame.writeUInt32BE(msg.length, 1);
      msg.copy(frame, 5);
      const req = client.request({ ':method': 'POST', ':path': '/grpc.health.v1.Health/Check', 'content-type': 'application/grpc', te: 'trailers' });
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('error', (e) => { client.close(); done(false, e.message); });
      req.on('end', () => {
        client.close();
        const body = Buffer.concat(chunks);
        const status = body.length >= 7 && body[5] === 0x08 ? body[6] : 0;
        done(status === 1, status === 1 ? 'SERVING' : 'service unhealthy (responded with status ' + status + ')');
      });
      req.end(frame);
    } else done(false, 'unknown check ' + q.kind);
  } catch (e) { done(false, String(e && e.message || e)); }
});
`;

export type AgentCheck =
  | { kind: 'tcp'; host: string; port: number; timeoutMs: number }
  | { kind: 'http'; host: string; port: number; path: string; scheme: 'HTTP' | 'HTTPS'; headers: Record<string, string>; timeoutMs: number }
  | { kind: 'grpc'; host: string; port: number; service?: string; timeoutMs: number };

export interface CheckResult {
  ok: boolean;
  message: string;
}

export class NetnsAgent {
  private child: ChildProcess | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, (r: CheckResult) => void>();

  /** `netnsPid`: the pause process (undefined for a hostNetwork pod: checks run from the host). */
  constructor(private readonly netnsPid: number | undefined) {}

  private ensure(): ChildProcess {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) return this.child;
    const node = process.execPath;
    const argv = this.netnsPid
      ? [findExecutable('nsenter') ?? 'nsenter', `--net=/proc/${this.netnsPid}/ns/net`, '--', node, '-e', AGENT_SOURCE]
      : [node, '-e', AGENT_SOURCE];
    const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'ignore'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    child.unref();
    (child.stdout as unknown as { unref?: () => void }).unref?.();
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const m = JSON.parse(line) as { id: number; ok: boolean; message: string };
        const resolve = this.pending.get(m.id);
        this.pending.delete(m.id);
        resolve?.({ ok: m.ok, message: m.message });
      } catch {
        // Not ours.
      }
    });
    const failAll = (why: string) => {
      for (const [, resolve] of this.pending) resolve({ ok: false, message: why });
      this.pending.clear();
    };
    child.on('exit', () => failAll('the network check helper exited'));
    child.on('error', (e) => failAll(`the network check helper failed: ${e.message}`));
    child.stdin!.on('error', () => undefined);
    this.child = child;
    return child;
  }

  check(q: AgentCheck): Promise<CheckResult> {
    const child = this.ensure();
    const id = this.nextId++;
    return new Promise((resolve) => {
      // A guard above the agent's own timer, in case the agent itself hangs.
      const guard = setTimeout(() => {
        this.pending.delete(id);
        resolve({ ok: false, message: `timed out after ${q.timeoutMs} ms` });
      }, q.timeoutMs + 2000);
      this.pending.set(id, (r) => {
        clearTimeout(guard);
        resolve(r);
      });
      child.stdin!.write(JSON.stringify({ ...q, id }) + '\n');
    });
  }

  close(): void {
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null) child.kill('SIGKILL');
  }
}
