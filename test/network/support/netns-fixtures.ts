// Network namespaces for the network tests, all made here and all removed again: a pause-like process holding
// a fresh namespace (what the pod runtime's catatonit pause is), echo servers inside a namespace, and named
// namespaces (`ip netns add`) wired with veth pairs on 10.200.0.0/16 addresses these tests pick themselves.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { netnsPath, type NetnsRef } from '../../../engine/network/netns';
import { startScratchNetns, type ScratchNetns } from '../../../engine/network/scratch-netns';

export type NetnsHolder = ScratchNetns;

function exited(child: ChildProcess): Promise<void> {
  return new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r())));
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGKILL');
  await exited(child);
}

/** A process in a new network namespace, like the pod's pause; with `parent`, made inside that namespace. */
export const startNetnsHolder = startScratchNetns;

// TCP echo (half-close aware: it ends its side after the client ends) plus a UDP echo on the same port.
const ECHO_SOURCE = String.raw`
const net = require('net'), dgram = require('dgram');
const host = process.argv[2], port = Number(process.argv[1]);
const tcp = net.createServer({ allowHalfOpen: true }, (s) => { s.on('error', () => {}); s.pipe(s); });
tcp.listen(port, host, () => {
  const p = tcp.address().port;
  const udp = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  udp.on('message', (m, r) => udp.send(m, r.port, r.address));
  udp.bind(p, host, () => process.stdout.write('ready ' + p + '\n'));
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

export interface EchoServer {
  port: number;
  stop(): Promise<void>;
}

/** An echo server on `host` (default 127.0.0.1) inside `netns` (undefined: the host's namespace). */
export async function startEchoServer(netns: NetnsRef | undefined, port: number, host = '127.0.0.1'): Promise<EchoServer> {
  const node = [process.execPath, '-e', ECHO_SOURCE, String(port), host];
  const argv = netns === undefined ? node : ['nsenter', `--net=${netnsPath(netns)}`, '--', ...node];
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'inherit'], env });
  const actual = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (s: string) => {
      out += s;
      const m = /ready (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`echo server exited (${code})`)));
  });
  return { port: actual, stop: () => stopChild(child) };
}

/** Runs a command and throws with its stderr when it fails. */
export function sh(argv: string[]): string {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr || r.error?.message || `exit ${r.status}`}`);
  return r.stdout;
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid % 100000}-${randomBytes(2).toString('hex')}`;
}

/** A named namespace (/run/netns/NAME) with lo up; remove() deletes it (and every veth end inside it). */
export function addNamedNetns(name: string): { name: string; path: string; remove(): void } {
  sh(['ip', 'netns', 'add', name]);
  sh(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
  return {
    name,
    path: `/run/netns/${name}`,
    remove: () => {
      spawnSync('ip', ['netns', 'del', name]);
    },
  };
}

export interface FakeHost {
  /** The namespace pasta treats as "the host": veth0 with `hostAddress`, default route via `upstreamAddress`. */
  host: { name: string; path: string };
  /** The namespace standing in for the internet, at `upstreamAddress`. */
  upstream: { name: string; path: string };
  hostAddress: string;
  upstreamAddress: string;
  remove(): void;
}

/**
 * Two named namespaces joined by a veth pair on a 10.200.N.0/24 of our own: outbound traffic from a pod behind
 * pasta in `host` ends at `upstream`, never on a real network.
 */
export function addFakeHost(): FakeHost {
  const subnet = 100 + Math.floor(Math.random() * 100);
  const host = addNamedNetns(uniqueName('psm-host'));
  let upstream: ReturnType<typeof addNamedNetns> | undefined;
  try {
    upstream = addNamedNetns(uniqueName('psm-up'));
    const hostAddress = `10.200.${subnet}.2`;
    const upstreamAddress = `10.200.${subnet}.1`;
    sh(['ip', '-n', host.name, 'link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'veth1', 'netns', upstream.name]);
    sh(['ip', '-n', host.name, 'addr', 'add', `${hostAddress}/24`, 'dev', 'veth0']);
    sh(['ip', '-n', upstream.name, 'addr', 'add', `${upstreamAddress}/24`, 'dev', 'veth1']);
    sh(['ip', '-n', host.name, 'link', 'set', 'veth0', 'up']);
    sh(['ip', '-n', upstream.name, 'link', 'set', 'veth1', 'up']);
    sh(['ip', '-n', host.name, 'route', 'add', 'default', 'via', upstreamAddress]);
    const up = upstream;
    return {
      host,
      upstream: up,
      hostAddress,
      upstreamAddress,
      remove: () => {
        host.remove();
        up.remove();
      },
    };
  } catch (e) {
    host.remove();
    upstream?.remove();
    throw e;
  }
}

// Connects, sends argv[3], half-closes and prints what comes back until the server closes.
const CLIENT_SOURCE = String.raw`
const c = require('net').connect({ host: process.argv[1], port: Number(process.argv[2]), allowHalfOpen: true }, () => c.end(process.argv[3]));
c.pipe(process.stdout);
c.on('error', (e) => { process.stderr.write(e.message); process.exit(1); });
setTimeout(() => { process.stderr.write('timeout'); process.exit(1); }, 5000).unref();
`;

/** A TCP round trip from a client inside `netns`: what the server sent back. */
export function tcpRoundTripIn(netns: NetnsRef, host: string, port: number, text: string): { out: string; err: string } {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const r = spawnSync('nsenter', [`--net=${netnsPath(netns)}`, '--', process.execPath, '-e', CLIENT_SOURCE, host, String(port), text], {
    encoding: 'utf8',
    env,
    timeout: 10_000,
  });
  return { out: r.stdout, err: r.stderr || (r.status !== 0 ? `exit ${r.status ?? r.signal}` : '') };
}
