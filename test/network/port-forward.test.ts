import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { bringUpLoopback } from '../../engine/network/loopback';
import { portForward, startPortForward } from '../../engine/network/port-forward';
import { parseListenAddresses, parsePortSpec } from '../../engine/network/port-spec';
import { processAlive } from '../../engine/network/process-identity';
import { startEchoServer, startNetnsHolder, type EchoServer, type NetnsHolder } from './support/netns-fixtures';
import { killChild } from '../support/wait';

describe('parsePortSpec', () => {
  it('reads LOCAL:REMOTE, PORT and :REMOTE', () => {
    assert.deepEqual(parsePortSpec('8080:80'), { local: 8080, remote: 80 });
    assert.deepEqual(parsePortSpec('5432'), { local: 5432, remote: 5432 });
    assert.deepEqual(parsePortSpec(':80'), { local: 0, remote: 80 });
    assert.deepEqual(parsePortSpec('0:80'), { local: 0, remote: 80 });
  });
  it('rejects what is not a port', () => {
    for (const bad of ['', 'x', '80:', '1:2:3', '70000', '0', '80:0', '-1', '8080:http']) assert.throws(() => parsePortSpec(bad), /port|expected/, bad);
  });
  it('expands localhost to both loopbacks', () => {
    assert.deepEqual(parseListenAddresses('localhost'), ['127.0.0.1', '::1']);
    assert.deepEqual(parseListenAddresses('127.0.0.1, 127.0.0.1'), ['127.0.0.1']);
    assert.throws(() => parseListenAddresses('example.com'), /not an IP address/);
  });
});

function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (s: string) => (body += s));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

/** Sends `data`, half-closes, and collects everything until the server closes. */
function echoRoundTrip(port: number, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    const c = connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => c.end(data));
    c.on('data', (d: Buffer) => parts.push(d));
    c.on('end', () => resolve(Buffer.concat(parts)));
    c.on('error', reject);
  });
}

describe('port-forward through a real network namespace', () => {
  let holder: NetnsHolder;
  let echo: EchoServer;
  let httpd: ChildProcess;
  let webRoot: string;

  before(async () => {
    holder = await startNetnsHolder();
    await bringUpLoopback(holder.pid);
    echo = await startEchoServer(holder.pid, 0);
    webRoot = mkdtempSync(join(tmpdir(), 'podsmith-pf-web-'));
    writeFileSync(join(webRoot, 'index.html'), 'hello from the pod\n');
    httpd = spawn('nsenter', [`--net=/proc/${holder.pid}/ns/net`, '--', 'busybox', 'httpd', '-f', '-p', '127.0.0.1:8080', '-h', webRoot], { stdio: 'ignore' });
  });
  after(async () => {
    httpd?.kill('SIGKILL');
    await echo?.stop();
    await holder?.stop();
    if (webRoot) rmSync(webRoot, { recursive: true, force: true });
  });

  it('serves an HTTP request from busybox httpd listening on the pod loopback only', async () => {
    const s = await portForward(holder.pid, 0, 8080);
    try {
      assert.equal(s.ports[0].address, '127.0.0.1');
      assert.ok(s.ports[0].local > 0);
      let res: { status: number; body: string } | undefined;
      for (let i = 0; i < 100 && !res; i++) {
        res = await httpGet(s.ports[0].local, '/index.html').catch(async () => {
          await new Promise((r) => setTimeout(r, 20)); // httpd may still be starting: it says nothing when it listens
          return undefined;
        });
      }
      assert.deepEqual(res, { status: 200, body: 'hello from the pod\n' });
    } finally {
      await s.close();
    }
  });

  it('carries bytes intact both ways, with half-close, on many connections at once', async () => {
    const s = await portForward(holder.pid, 0, echo.port);
    try {
      const big = randomBytes(4 * 1024 * 1024);
      assert.ok((await echoRoundTrip(s.ports[0].local, big)).equals(big));
      const payloads = Array.from({ length: 20 }, (_, i) => randomBytes(1000 + i * 997));
      const back = await Promise.all(payloads.map((p) => echoRoundTrip(s.ports[0].local, p)));
      back.forEach((b, i) => assert.ok(b.equals(payloads[i]), `connection ${i}`));
      assert.equal((await echoRoundTrip(s.ports[0].local, Buffer.alloc(0))).length, 0);
    } finally {
      await s.close();
    }
  });

  it('forwards several ports in one session and reaches a server bound to ::1 only', async () => {
    const v6 = await startEchoServer(holder.pid, 0, '::1');
    const seen: number[] = [];
    const s = await startPortForward(holder.pid, [{ local: 0, remote: echo.port }, { local: 0, remote: v6.port }], {
      onConnection: (p) => seen.push(p.remote),
    });
    try {
      assert.equal(s.ports.length, 2);
      assert.equal((await echoRoundTrip(s.ports[0].local, Buffer.from('four'))).toString(), 'four');
      assert.equal((await echoRoundTrip(s.ports[1].local, Buffer.from('six'))).toString(), 'six');
      assert.deepEqual(seen, [echo.port, v6.port]);
    } finally {
      await s.close();
      await v6.stop();
    }
  });

  it('reports a refused pod port and closes that client only', async () => {
    const errors: string[] = [];
    const s = await portForward(holder.pid, 0, 1, { onConnectionError: (_p, m) => errors.push(m) });
    try {
      const closed = await new Promise<string>((resolve) => {
        const c = connect(s.ports[0].local, '127.0.0.1');
        c.on('error', (e) => resolve(e.message));
        c.on('close', () => resolve('closed'));
      });
      assert.ok(closed === 'closed' || /ECONNRESET/.test(closed), closed);
      assert.equal(errors.length, 1);
      assert.match(errors[0], /pod port 1: connection refused: nothing listens on port 1/);
    } finally {
      await s.close();
    }
  });

  it('fails clearly when the local port is taken or the pod does not exist', async () => {
    const taken: Server = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    const port = (taken.address() as { port: number }).port;
    try {
      await assert.rejects(portForward(holder.pid, port, echo.port), new RegExp(`cannot listen on 127.0.0.1:${port}: EADDRINUSE`));
    } finally {
      taken.close();
    }
    await assert.rejects(portForward(2 ** 22 + 7, 0, 80), /network namespace of pid 4194311 is gone/);
  });

  it('ends the session, its helper and its socket directory on close()', async () => {
    const s = await portForward(holder.pid, 0, echo.port);
    assert.equal((await echoRoundTrip(s.ports[0].local, Buffer.from('x'))).toString(), 'x');
    const helpers = helperPids();
    const dirs = helperDirs(helpers);
    assert.equal(helpers.length, 1);
    assert.equal(dirs.length, 1);
    await s.close();
    assert.deepEqual(await s.done, { reason: 'closed' });
    for (const pid of helpers) assert.equal(processAlive(pid), false, `helper ${pid} still running`);
    for (const dir of dirs) assert.equal(existsSync(dir), false);
    await assert.rejects(echoRoundTrip(s.ports[0].local, Buffer.from('x')), /ECONNREFUSED/);
  });
});

describe('port-forward when its owner is killed', () => {
  it('takes the helper and its socket directory with it, even on SIGKILL', async () => {
    const holder = await startNetnsHolder();
    let owner: ChildProcess | undefined;
    try {
      const mod = resolve(__dirname, '../../engine/network/port-forward.ts');
      const code = `require(${JSON.stringify(mod)}).portForward(${holder.pid}, 0, 80).then((s) => console.log('port ' + s.ports[0].local))`;
      const child = spawn(process.execPath, ['--import', 'tsx', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
      owner = child;
      await new Promise<void>((r) => child.stdout!.on('data', (d: Buffer) => /port \d+/.test(d.toString()) && r()));
      const helpers = helperPids(child.pid!);
      assert.equal(helpers.length, 1);
      const dirs = helperDirs(helpers);
      child.kill('SIGKILL');
      // The helper is not our child: no exit event reaches this process, so poll (bounded) for it to be gone.
      for (let i = 0; i < 200 && helpers.some(processAlive); i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(helpers.some(processAlive), false, 'helper exited on stdin EOF');
      for (const dir of dirs) assert.equal(existsSync(dir), false, `${dir} removed`);
    } finally {
      if (owner) await killChild(owner); // a failed assertion before the SIGKILL above must not leave it running
      await holder.stop();
    }
  });
});

describe('port-forward when the pod goes away', () => {
  it('ends the session with the reason', async () => {
    const holder = await startNetnsHolder();
    try {
      await bringUpLoopback(holder.pid);
      const s = await portForward(holder.pid, 0, 80, { watchIntervalMs: 50 });
      const helpers = helperPids();
      await holder.stop();
      const { reason } = await s.done;
      assert.match(reason, /network namespace of pid \d+ is gone/);
      for (const pid of helpers) assert.equal(processAlive(pid), false);
    } finally {
      await holder.stop();
    }
  });
});

/** Pids of netns-dialer helpers (children of `parent`, this process by default, running nsenter ... node -e). */
function helperPids(parent = process.pid): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      // Children of `parent` only: other test runs on the machine have helpers of their own.
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent && cmd.some((a) => a.includes('dialer:')) && cmd.some((a) => a.includes('/podsmith-pf-'))) out.push(Number(d));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

function helperDirs(pids: number[]): string[] {
  return pids.flatMap((pid) => {
    try {
      const sock = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').find((a) => a.includes('/podsmith-pf-'));
      return sock ? [dirname(sock)] : [];
    } catch {
      return [];
    }
  });
}
