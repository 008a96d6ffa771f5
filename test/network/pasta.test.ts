import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, existsSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bringUpLoopback } from '../../engine/network/loopback';
import { pastaArgs, portSpec } from '../../engine/network/pasta-args';
import { pastaStatus, readPastaRecord, startPasta, stopPasta } from '../../engine/network/pasta';
import { processAlive, processStartTicks } from '../../engine/network/process-identity';
import { findExecutable } from '../../engine/network/run-tool';
import { addFakeHost, startEchoServer, tcpRoundTripIn, startNetnsHolder, type EchoServer, type FakeHost, type NetnsHolder } from './support/netns-fixtures';

const BASE = {
  pidFile: '/p',
  logFile: '/l',
  netnsFd: 3,
  runAs: { uid: 0, gid: 0 },
};

describe('pastaArgs', () => {
  it("forwards only the declared ports, never pasta's automatic ones", () => {
    const args = pastaArgs({ ...BASE });
    assert.deepEqual(args, [
      '--runas',
      '0:0',
      '--netns',
      '/proc/self/fd/3',
      '-P',
      '/p',
      '-l',
      '/l',
      '-t',
      'none',
      '-u',
      'none',
      '-T',
      'none',
      '-U',
      'none',
      '--config-net',
      '--no-map-gw',
    ]);
  });
  it('maps hostPorts per protocol and address', () => {
    const args = pastaArgs({
      ...BASE,
      outbound: false,
      allowHostLoopback: true,
      hostPorts: [
        { hostPort: 8080, containerPort: 80 },
        {
          hostPort: 5353,
          containerPort: 5353,
          protocol: 'UDP',
          hostIP: '127.0.0.1',
        },
        {
          hostPort: 5353,
          containerPort: 53,
          protocol: 'TCP',
          hostIP: '0.0.0.0',
        },
      ],
    });
    assert.deepEqual(args.slice(8), ['-t', '8080:80', '-t', '5353:53', '-u', '127.0.0.1/5353:5353', '-T', 'none', '-U', 'none']);
  });
  it('refuses UDP to a different pod port unless this pasta can map the replies back', () => {
    const hostPorts = [{ hostPort: 5353, containerPort: 53, protocol: 'UDP' as const }];
    assert.throws(() => pastaArgs({ ...BASE, hostPorts }), /hostPort 5353\/UDP -> containerPort 53: .*same number/);
    assert.deepEqual(pastaArgs({ ...BASE, hostPorts, udpRemap: true }).slice(10, 12), ['-u', '5353:53']);
  });
  it('rejects SCTP, bad ports and duplicates', () => {
    assert.throws(
      () =>
        pastaArgs({
          ...BASE,
          hostPorts: [{ hostPort: 1, containerPort: 1, protocol: 'SCTP' }],
        }),
      /SCTP cannot be forwarded/,
    );
    assert.throws(() => portSpec({ hostPort: 0, containerPort: 80 }), /hostPort 0 is not a port/);
    assert.throws(() => portSpec({ hostPort: 80, containerPort: 80, hostIP: 'eth0' }), /not an IP address/);
    assert.throws(
      () =>
        pastaArgs({
          ...BASE,
          hostPorts: [
            { hostPort: 80, containerPort: 1 },
            { hostPort: 80, containerPort: 2, protocol: 'TCP' },
          ],
        }),
      /hostPort 80\/TCP is used twice/,
    );
  });
});

function udpRoundTrip(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    const timer = setTimeout(() => {
      s.close();
      reject(new Error('no UDP reply'));
    }, 3000);
    s.on('message', (m) => {
      clearTimeout(timer);
      s.close();
      resolve(m.toString());
    });
    s.send(text, port, '127.0.0.1');
  });
}

function tcpRoundTrip(port: number, text: string, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    const c = connect({ port, host, allowHalfOpen: true }, () => c.end(text));
    c.setEncoding('utf8').on('data', (s: string) => (got += s));
    c.on('end', () => resolve(got));
    c.on('error', reject);
  });
}

const HAVE_PASTA = findExecutable('pasta') !== undefined;

describe('pasta attached to a pod namespace', { skip: !HAVE_PASTA && 'pasta is not installed (apt-get install -y passt)' }, () => {
  let holder: NetnsHolder;
  let echo: EchoServer;
  let dir: string;
  before(async () => {
    holder = await startNetnsHolder();
    await bringUpLoopback(holder.pid);
    echo = await startEchoServer(holder.pid, 19305);
    dir = mkdtempSync(join(tmpdir(), 'podsmith-pasta-'));
  });
  after(async () => {
    for (const f of ['a.json', 'b.json', 'c.json']) await stopPasta(join(dir, f)).catch(() => {});
    await echo?.stop();
    await holder?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('forwards TCP and UDP hostPorts to the pod and stops cleanly', async () => {
    const stateFile = join(dir, 'a.json');
    const rec = await startPasta({
      netns: holder.pid,
      stateFile,
      outbound: false,
      hostPorts: [
        { hostPort: 19301, containerPort: 19305, hostIP: '127.0.0.1' },
        {
          hostPort: 19305,
          containerPort: 19305,
          hostIP: '127.0.0.1',
          protocol: 'UDP',
        },
      ],
    });
    try {
      assert.ok(rec.startMs > 0, 'the record says how long pasta took to start');
      assert.deepEqual(readPastaRecord(stateFile), rec);
      assert.equal(pastaStatus(stateFile).running, true);
      assert.ok(!readFileSync(`/proc/${rec.pid}/status`, 'utf8').includes(`PPid:\t${process.pid}\n`), 'pasta is daemonized, not our child');
      assert.equal(await tcpRoundTrip(19301, 'over tcp'), 'over tcp');
      assert.equal(await udpRoundTrip(19305, 'over udp'), 'over udp');
      assert.equal(await stopPasta(stateFile), true);
    } finally {
      await stopPasta(stateFile); // a failed assertion must not leave pasta running
    }
    assert.equal(processAlive(rec.pid), false);
    assert.equal(existsSync(stateFile), false);
    assert.equal(existsSync(rec.logFile), false);
    await assert.rejects(tcpRoundTrip(19301, 'x'), /ECONNREFUSED/);
    assert.equal(await stopPasta(stateFile), false, 'stopping again is a no-op');
  });

  it('refuses a second pasta for the same pod and reports bind failures', async () => {
    const stateFile = join(dir, 'b.json');
    await startPasta({
      netns: holder.pid,
      stateFile,
      outbound: false,
      hostPorts: [{ hostPort: 19303, containerPort: 19305, hostIP: '127.0.0.1' }],
    });
    try {
      await assert.rejects(startPasta({ netns: holder.pid, stateFile, outbound: false }), /already running for this pod/);
      // Port 19303 is now pasta's own: a second pasta (another pod) cannot bind it.
      const other = await startNetnsHolder();
      try {
        await assert.rejects(
          startPasta({
            netns: other.pid,
            stateFile: join(dir, 'c.json'),
            outbound: false,
            hostPorts: [{ hostPort: 19303, containerPort: 1, hostIP: '127.0.0.1' }],
          }),
          /pasta failed to attach.*Failed to bind any port for '-t 127.0.0.1\/19303:1'/,
        );
        assert.equal(existsSync(join(dir, 'c.json')), false);
      } finally {
        await other.stop();
      }
    } finally {
      await stopPasta(stateFile);
    }
  });

  it('never attaches to the host namespace', async () => {
    await assert.rejects(startPasta({ netns: process.pid, stateFile: join(dir, 'c.json') }), /host's network namespace/);
  });

  it('is found again by a later process (daemon restart) and is told apart from a reused pid', async () => {
    const stateFile = join(dir, 'b.json');
    // A separate Node process starts pasta and exits, as a daemon that dies would.
    const mod = resolve(__dirname, '../../engine/network/pasta.ts');
    const code = `require(${JSON.stringify(mod)}).startPasta({ netns: ${holder.pid}, stateFile: ${JSON.stringify(stateFile)}, outbound: false, hostPorts: [{ hostPort: 19304, containerPort: 19305, hostIP: '127.0.0.1' }] }).then(() => process.exit(0), (e) => { console.error(e); process.exit(1); })`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    try {
      const status = pastaStatus(stateFile);
      assert.equal(status.running, true);
      assert.equal(await tcpRoundTrip(19304, 'after restart'), 'after restart');

      // Same pid but another start time: not ours, never signalled.
      const fake = join(dir, 'fake.json');
      writeFileSync(
        fake,
        JSON.stringify({
          ...status.record,
          pid: process.pid,
          startTicks: processStartTicks(process.pid)! + 1,
        }),
      );
      assert.equal(pastaStatus(fake).running, false);
      assert.equal(await stopPasta(fake), false);
      assert.equal(processAlive(process.pid), true);

      assert.equal(await stopPasta(stateFile), true);
      assert.equal(pastaStatus(stateFile).running, false);
    } finally {
      await stopPasta(stateFile);
    }
  });
});

describe('pasta outbound connectivity (behind a fake host of our own)', { skip: !HAVE_PASTA && 'pasta is not installed' }, () => {
  let fake: FakeHost;
  let pod: NetnsHolder;
  let web: ChildProcess;
  let echo: EchoServer;
  let dir: string;
  before(async () => {
    fake = addFakeHost();
    pod = await startNetnsHolder(fake.host.path);
    await bringUpLoopback(pod.pid);
    echo = await startEchoServer(pod.pid, 19305, '0.0.0.0');
    dir = mkdtempSync(join(tmpdir(), 'podsmith-pasta-out-'));
    writeFileSync(join(dir, 'index.html'), 'upstream says hi\n');
    web = spawn('ip', ['netns', 'exec', fake.upstream.name, 'busybox', 'httpd', '-f', '-p', `${fake.upstreamAddress}:8080`, '-h', dir], { stdio: 'ignore' });
  });
  after(async () => {
    await stopPasta(join(dir, 'pasta.json')).catch(() => {});
    web?.kill('SIGKILL');
    await echo?.stop();
    await pod?.stop();
    fake?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('gives the pod an interface and a route out, and forwards a hostPort from the host side', async () => {
    const stateFile = join(dir, 'pasta.json');
    const rec = await startPasta({
      netns: pod.pid,
      hostNetns: fake.host.path,
      stateFile,
      hostPorts: [{ hostPort: 19401, containerPort: 19305 }],
    });
    // pasta runs in the fake host's namespace, attached to the pod's.
    assert.equal(statSync(`/proc/${rec.pid}/ns/net`).ino, statSync(fake.host.path).ino);
    const addr = spawnSync('nsenter', [`--net=/proc/${pod.pid}/ns/net`, 'ip', '-4', 'addr'], { encoding: 'utf8' }).stdout;
    assert.match(addr, new RegExp(`inet ${fake.hostAddress.replace(/\./g, '\\.')}/24`), 'the pod got a copy of the host address');
    const route = spawnSync('nsenter', [`--net=/proc/${pod.pid}/ns/net`, 'ip', 'route'], { encoding: 'utf8' }).stdout;
    assert.match(route, new RegExp(`default via ${fake.upstreamAddress.replace(/\./g, '\\.')}`));

    let body = '';
    for (let i = 0; i < 50 && !body; i++) {
      const r = spawnSync(
        'nsenter',
        [`--net=/proc/${pod.pid}/ns/net`, 'busybox', 'wget', '-q', '-O', '-', `http://${fake.upstreamAddress}:8080/index.html`],
        { encoding: 'utf8', timeout: 5000 }, // not wget -T: busybox 1.35's wget crashes with it
      );
      body = r.status === 0 ? r.stdout : '';
      if (!body) await new Promise((r) => setTimeout(r, 50)); // httpd may still be starting: it says nothing when it listens
    }
    assert.equal(body, 'upstream says hi\n');

    // The hostPort, from a client in the fake host (both its loopback and its own address).
    for (const target of ['127.0.0.1', fake.hostAddress]) {
      const r = tcpRoundTripIn(fake.host.path, target, 19401, 'ping');
      assert.equal(r.out, 'ping', `${target}: ${r.err}`);
    }
    await stopPasta(stateFile);
    assert.equal(processAlive(rec.pid), false);
  });
});
