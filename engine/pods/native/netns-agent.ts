// HTTP, TCP and gRPC checks from inside a pod's network namespace. Node cannot enter a namespace, so one small
// Node process per pod is started there (nsenter, through a descriptor of the namespace taken while the pause
// process is still the recorded one) and answers check requests over stdin/stdout as JSON lines; it lives as
// long as the pod is supervised. The agent's code is kept as a plain script string so it runs the same from
// sources, tests and the bundled build.
//
// What answers a check is the pod's, so it may be hostile: the agent runs as nobody with no capabilities and a
// small V8 heap, reads at most MAX_GRPC_REPLY bytes of a gRPC reply (an HTTP body not at all: the status
// decides), caps HTTP/2 session memory and header sizes, and destroys everything a check opened the moment
// the check settles (answer, error, cap or timeout), so an endless stream stops with it. An agent that does
// not answer in time anyway is killed, and the next check starts a new one.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { findExecutable } from '../../runtime';
import { mappedIdOr0 } from '../../rootless/ids';

export const AGENT_MARKER = 'podsmith-netns-agent';

/** Largest gRPC reply a check reads; a health check answer is 7 bytes. */
export const MAX_GRPC_REPLY = 16 * 1024;
/** The agent's V8 heap, in MiB: ample for a few small checks at once, far from what a host would miss. */
const AGENT_HEAP_MIB = 48;
/** uid and gid of the agent (nobody/nogroup): nothing in it needs root. Root (the user) in a single-id rootless namespace. */
const agentId = (): number => mappedIdOr0(65534);

const AGENT_SOURCE = `
/* ${AGENT_MARKER} */
const net = require('net'), http = require('http'), https = require('https'), http2 = require('http2');
const MAX_GRPC_REPLY = ${MAX_GRPC_REPLY};
const send = (m) => process.stdout.write(JSON.stringify(m) + '\\n');
process.stdin.on('end', () => process.exit(0));
// A gRPC message of the health request: field 1 (service name) as a length-delimited string.
const varint = (n) => { const b = []; while (n > 127) { b.push((n & 127) | 128); n = Math.floor(n / 128); } b.push(n); return Buffer.from(b); };
require('readline').createInterface({ input: process.stdin }).on('line', (line) => {
  let q;
  try { q = JSON.parse(line); } catch { return; }
  const opened = [];
  let settled = false;
  const done = (ok, message) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    // Whatever the pod's server still sends goes nowhere: its connection ends here.
    for (const x of opened) { try { x.destroy(); } catch {} }
    send({ id: q.id, ok, message: String(message).slice(0, 1024) });
  };
  const timer = setTimeout(() => done(false, 'timed out after ' + q.timeoutMs + ' ms'), q.timeoutMs);
  try {
    if (q.kind === 'tcp') {
      const s = net.connect({ host: q.host, port: q.port }, () => done(true, 'connected'));
      opened.push(s);
      s.on('error', (e) => done(false, e.message));
    } else if (q.kind === 'http') {
      const mod = q.scheme === 'HTTPS' ? https : http;
      const req = mod.request({ host: q.host, port: q.port, path: q.path, method: 'GET', headers: q.headers, rejectUnauthorized: false, maxHeaderSize: 16384, agent: false }, (res) => {
        const code = res.statusCode || 0;
        done(code >= 200 && code < 400, 'HTTP probe failed with statuscode: ' + code);
      });
      opened.push(req);
      req.on('error', (e) => done(false, e.message));
      req.end();
    } else if (q.kind === 'grpc') {
      const client = http2.connect('http://' + (q.host.includes(':') ? '[' + q.host + ']' : q.host) + ':' + q.port, {
        maxSessionMemory: 2,
        maxHeaderListPairs: 64,
        settings: { enablePush: false, maxHeaderListSize: 16384 },
      });
      opened.push(client);
      client.on('error', (e) => done(false, e.message));
      const name = Buffer.from(q.service || '', 'utf8');
      const msg = name.length ? Buffer.concat([Buffer.from([0x0a]), varint(name.length), name]) : Buffer.alloc(0);
      const frame = Buffer.alloc(5 + msg.length);
      frame.writeUInt32BE(msg.length, 1);
      msg.copy(frame, 5);
      const req = client.request({ ':method': 'POST', ':path': '/grpc.health.v1.Health/Check', 'content-type': 'application/grpc', te: 'trailers' });
      opened.push(req);
      const chunks = [];
      let size = 0;
      req.on('data', (c) => {
        size += c.length;
        if (size > MAX_GRPC_REPLY) return done(false, 'gRPC reply exceeds ' + MAX_GRPC_REPLY + ' bytes (a health check answer is a few bytes); connection closed');
        chunks.push(c);
      });
      req.on('error', (e) => done(false, e.message));
      req.on('end', () => {
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

/** How long past its own timeout a check may take before the agent counts as stuck and is killed. */
const STUCK_AFTER_MS = 2000;

interface Running {
  child: ChildProcess;
  /** Checks sent to this agent process and not answered yet. */
  pending: Map<number, (r: CheckResult) => void>;
}

export class NetnsAgent {
  private running: Running | undefined;
  private nextId = 1;

  /**
   * `openNetns` opens the pod's network namespace (and throws when the pod's pause process is gone); undefined
   * for a hostNetwork pod, whose checks run from the host.
   */
  constructor(private readonly openNetns: (() => number) | undefined) {}

  /** The agent's pid, while one runs (tests). */
  get pid(): number | undefined {
    return this.running?.child.pid;
  }

  private ensure(): Running {
    const r = this.running;
    if (r && r.child.exitCode === null && r.child.signalCode === null) return r;
    const node = [process.execPath, `--max-old-space-size=${AGENT_HEAP_MIB}`, '-e', AGENT_SOURCE];
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
    let child: ChildProcess;
    if (this.openNetns) {
      const fd = this.openNetns();
      try {
        const nsenter = findExecutable('nsenter') ?? 'nsenter';
        child = spawn(nsenter, ['--net=/proc/self/fd/3', `--setgid=${agentId()}`, `--setuid=${agentId()}`, '--', ...node], { stdio: ['pipe', 'pipe', 'ignore', fd], env });
      } finally {
        closeSync(fd); // the child holds its own copy
      }
    } else {
      child = spawn(node[0], node.slice(1), { stdio: ['pipe', 'pipe', 'ignore'], env, uid: agentId(), gid: agentId() });
    }
    child.unref();
    (child.stdout as unknown as { unref?: () => void }).unref?.();
    const pending = new Map<number, (r: CheckResult) => void>();
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const m = JSON.parse(line) as { id: number; ok: boolean; message: string };
        const resolve = pending.get(m.id);
        pending.delete(m.id);
        resolve?.({ ok: m.ok, message: m.message });
      } catch {
        // Not ours.
      }
    });
    const failAll = (why: string) => {
      for (const [, resolve] of pending) resolve({ ok: false, message: why });
      pending.clear();
    };
    child.on('exit', () => failAll('the network check helper exited'));
    child.on('error', (e) => failAll(`the network check helper failed: ${e.message}`));
    child.stdin!.on('error', () => undefined);
    this.running = { child, pending };
    return this.running;
  }

  check(q: AgentCheck): Promise<CheckResult> {
    let running: Running;
    try {
      running = this.ensure();
    } catch (e) {
      return Promise.resolve({ ok: false, message: `cannot start the network check helper: ${(e as Error).message}` });
    }
    const id = this.nextId++;
    return new Promise((resolve) => {
      // Above the agent's own timer: an agent that does not answer by then is stuck, and goes.
      const guard = setTimeout(() => {
        running.pending.delete(id);
        resolve({ ok: false, message: `timed out after ${q.timeoutMs} ms (the network check helper did not answer and was restarted)` });
        if (this.running === running) this.close();
      }, q.timeoutMs + STUCK_AFTER_MS);
      running.pending.set(id, (r) => {
        clearTimeout(guard);
        resolve(r);
      });
      running.child.stdin!.write(JSON.stringify({ ...q, id }) + '\n');
    });
  }

  close(): void {
    const child = this.running?.child;
    this.running = undefined;
    if (child && child.exitCode === null) child.kill('SIGKILL');
  }
}
