// A helper process inside a pod's network namespace that opens TCP connections to the pod's loopback for us.
// Node cannot setns(2), so the helper is `nsenter --net=NS -- node -e DIALER_SOURCE SOCKET`: started once per
// port-forward session (about 40 ms), then every connection costs a unix-socket connect plus a loopback TCP
// connect. Unix sockets named by a path are not tied to a network namespace, which is what lets the host
// side reach the helper.
//
// Wire protocol on each unix connection: the host sends the pod port (2 bytes, big endian) followed by the
// client's bytes; the helper answers one status byte (0 = connected, 1 = failed, then the error text and
// EOF) followed by the server's bytes. Half-closes are passed through both ways.
//
// The helper exits when its stdin closes, so it never outlives the session's owner, even one killed by
// SIGKILL. The source is plain JavaScript kept in a string so it runs the same from tsx and from the bundle.
//
// nsenter enters the namespace through a descriptor opened (and, for a pinned reference, checked) here and
// passed as fd 3, not by a /proc/PID path it would open later: by then the pid could name another process.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeQuietly, describeNetns, openNetns, openOwningUserns, type NetnsRef } from './netns';
import { needsNamespace } from '../rootless/namespace';
import { findExecutable } from './run-tool';

export const DIALER_SOURCE = String.raw`
const net = require('net');
const sockPath = process.argv[1];
// Connect to the pod's localhost: 127.0.0.1 first, then ::1 (a server may listen on only one of them).
function dial(port, hosts, done) {
  const tcp = net.connect({ host: hosts[0], port, allowHalfOpen: true });
  tcp.once('connect', () => { tcp.removeAllListeners('error'); done(null, tcp); });
  tcp.once('error', (e) => {
    if (e.code === 'ECONNREFUSED' && hosts.length > 1) dial(port, hosts.slice(1), done);
    else done(e);
  });
}
// Pipes two sockets both ways; an error on either side resets the other.
function join(a, b) {
  a.pipe(b);
  b.pipe(a);
  a.on('error', () => b.destroy());
  b.on('error', () => a.destroy());
  a.on('close', (hadError) => { if (hadError) b.destroy(); });
  b.on('close', (hadError) => { if (hadError) a.destroy(); });
}
const server = net.createServer({ allowHalfOpen: true }, (up) => {
  up.on('error', () => {});
  let head = Buffer.alloc(0);
  const onData = (chunk) => {
    head = Buffer.concat([head, chunk]);
    if (head.length < 2) return;
    up.pause();
    up.removeListener('data', onData);
    const port = head.readUInt16BE(0);
    const early = head.subarray(2);
    dial(port, ['127.0.0.1', '::1'], (err, tcp) => {
      if (err) {
        up.end(Buffer.concat([Buffer.from([1]), Buffer.from((err.code || 'error') + ': ' + err.message)]));
        return;
      }
      if (up.destroyed) { tcp.destroy(); return; } // the host side gave up while we were dialing
      tcp.setNoDelay(true);
      up.write(Buffer.from([0]));
      if (early.length) tcp.write(early);
      join(up, tcp);
    });
  };
  up.on('data', onData);
});
// The socket's private directory is ours to remove: the owner may have died without cleaning up.
function quit(code) {
  try { require('fs').rmSync(require('path').dirname(sockPath), { recursive: true, force: true }); } catch {}
  process.exit(code);
}
server.on('error', (e) => { process.stderr.write('dialer: ' + e.message + '\n'); quit(1); });
server.listen(sockPath, () => process.stdout.write('ready\n'));
process.stdin.on('end', () => quit(0));
process.stdin.on('error', () => quit(0));
process.stdin.resume();
`;

export interface NetnsDialer {
  /** The unix socket to connect to, one connection per forwarded TCP connection. */
  socketPath: string;
  child: ChildProcess;
  /** How long the helper took to be ready. */
  startMs: number;
  /** Resolves when the helper has exited (for whatever reason). */
  exited: Promise<void>;
  /** Ends the helper and removes its socket directory. */
  close(): Promise<void>;
}

const READY_TIMEOUT_MS = 10_000;

/** Environment for the helper: no NODE_OPTIONS (a test runner's --import would slow it down or break it). */
function helperEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  return env;
}

export async function startNetnsDialer(ref: NetnsRef, nodePath = process.execPath): Promise<NetnsDialer> {
  const nsenter = findExecutable('nsenter');
  if (!nsenter) throw new Error('nsenter not found: install it with `apt-get install -y util-linux`');
  const started = performance.now();
  const netnsFd = openNetns(ref); // throws, naming the namespace, when it is gone or no longer the pod's
  // A plain user reaches a rootless pod's network through the user namespace that owns it (their own).
  let usernsFd: number | undefined;
  let dir: string;
  let child: ChildProcess;
  try {
    usernsFd = needsNamespace() ? openOwningUserns(ref) : undefined;
    dir = mkdtempSync(join(tmpdir(), 'podsmith-pf-')); // 0700: only we may connect
    const enter = usernsFd === undefined ? [] : ['--preserve-credentials', '--user=/proc/self/fd/4'];
    child = spawn(nsenter, [...enter, '--net=/proc/self/fd/3', '--', nodePath, '-e', DIALER_SOURCE, join(dir, 'dial.sock')], {
      stdio: ['pipe', 'pipe', 'pipe', netnsFd, ...(usernsFd === undefined ? [] : [usernsFd])],
      env: helperEnv(),
    });
  } finally {
    closeQuietly(netnsFd); // the child has its own copy
    closeQuietly(usernsFd);
  }
  const socketPath = join(dir, 'dial.sock');
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => {
    if (stderr.length < 4096) stderr += s;
  });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  exited.then(cleanup, cleanup);
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`timed out after ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
      child.stdout!.setEncoding('utf8').on('data', (s: string) => {
        out += s;
        if (out.includes('ready\n')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(stderr.trim() || `exited with ${signal ?? `code ${code}`}`));
      });
    });
  } catch (e) {
    child.kill('SIGKILL');
    await exited;
    throw new Error(`cannot enter the network namespace ${describeNetns(ref)}: ${(e as Error).message}`);
  }
  child.stdin!.on('error', () => {}); // the helper may be gone already when we close its stdin
  return {
    socketPath,
    child,
    startMs: performance.now() - started,
    exited,
    async close() {
      child.stdin!.end(); // the helper exits on stdin EOF
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
    },
  };
}
