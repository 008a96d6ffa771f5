// The daemon's life: one per home, owner-only socket, started on demand, restarted with its pods and history.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { connectDaemon } from '../../engine/client/connect';
import { DaemonError } from '../../engine/client/daemon-client';
import { daemonPaths } from '../../engine/daemon/paths';
import { PodError } from '../../engine/pods/types';
import { alive } from './support/process-runtime';
import { killChild, within } from '../support/wait';
import { cleanupHome, daemonPid, makeHome, processesOf, startTestDaemon, stopDaemon, testDaemonCommand, waitFor } from './support/harness';

const homes: string[] = [];
function home(): string {
  const h = makeHome();
  homes.push(h);
  return h;
}

const pod = (name: string, script = 'echo started; while true; do sleep 1; done'): string => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  containers:
    - name: app
      image: busybox
      command: ["sh", "-c", ${JSON.stringify(script)}]
`;

const connect = (h: string) => connectDaemon({ home: h, daemonCommand: testDaemonCommand(), clientName: 'daemon-test' });

after(async () => {
  const leaks: string[] = [];
  for (const h of homes) {
    const left = await cleanupHome(h);
    if (left.length) leaks.push(`${h}: ${left.join(' ')}`);
  }
  assert.deepEqual(leaks, [], 'processes left behind');
});

describe('podsmith daemon', () => {
  it('runs once per home: a second daemon refuses and names the first', async (t) => {
    const h = home();
    const pid = await startTestDaemon(h);
    const second = spawn(process.execPath, testDaemonCommand().args, { env: { ...process.env, PODSMITH_HOME: h }, stdio: ['ignore', 'ignore', 'pipe'] });
    t.after(() => killChild(second)); // should it not refuse, it must not outlive the test
    let err = '';
    second.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const code = await new Promise<number | null>((r) => second.on('close', r));
    assert.equal(code, 1);
    assert.match(err, new RegExp(`already running \\(pid ${pid}\\)`));
    assert.ok(alive(pid), 'the first daemon keeps running');
    const client = await connect(h);
    assert.equal(client.info!.pid, pid);
    client.close();
  });

  it('listens on an owner-only socket in an owner-only directory, even when run/ was left open', async () => {
    const h = home();
    mkdirSync(join(h, 'run'), { mode: 0o755 });
    chmodSync(join(h, 'run'), 0o755);
    await startTestDaemon(h);
    const p = daemonPaths(h);
    assert.equal(statSync(p.runDir).mode & 0o777, 0o700);
    assert.ok(statSync(p.socket).isSocket());
    assert.equal(statSync(p.socket).mode & 0o777, 0o600);
    assert.equal(statSync(p.log).mode & 0o777, 0o600);
  });

  it('is started by the first client that needs it; two clients at once share one daemon', async () => {
    const h = home();
    assert.equal(existsSync(daemonPaths(h).socket), false);
    const [a, b] = await Promise.all([connect(h), connect(h)]);
    assert.equal(a.info!.pid, b.info!.pid);
    assert.equal(a.info!.home, h);
    // The loser of the start race exits; exactly one daemon remains.
    await waitFor('one daemon', () => processesOf(h).length === 1);
    a.close();
    b.close();
  });

  it('replaces a stale socket left by a daemon that was killed', async () => {
    const h = home();
    const first = await startTestDaemon(h);
    await stopDaemon(h, 'SIGKILL');
    assert.ok(existsSync(daemonPaths(h).socket), 'SIGKILL leaves the socket file');
    const client = await connect(h);
    assert.notEqual(client.info!.pid, first);
    assert.ok(alive(client.info!.pid));
    client.close();
  });

  it('says how to start one when asked not to start it', async () => {
    const h = home();
    await assert.rejects(connectDaemon({ home: h, autoStart: false }), (e: Error) => e instanceof DaemonError && /podsmith daemon/.test(e.message));
  });

  it('reports a daemon that dies at start-up with the end of its log', async () => {
    const h = home();
    // `--` ends node's own options: the client appends the daemon's (--idle-exit) after these.
    const broken = { command: process.execPath, args: ['-e', 'console.error("boom: no runtime here"); process.exit(3)', '--'] };
    await assert.rejects(connectDaemon({ home: h, daemonCommand: broken }), /exit 3[\s\S]*boom: no runtime here/);
  });

  it('keeps pods running across a restart; the new daemon reconciles and keeps the event history', async () => {
    const h = home();
    let client = await connect(h);
    const status = await client.runPod({ manifest: pod('keeper'), fileName: 'keeper.yaml' });
    assert.equal(status.phase, 'Running');
    client.close();
    const oldPid = daemonPid(h)!;
    await stopDaemon(h, 'SIGTERM');
    assert.equal(existsSync(daemonPaths(h).socket), false, 'a clean stop removes the socket');
    const containerPid = JSON.parse(readFileSync(join(h, 'test-runtime', 'state.json'), 'utf8'))[0].containers[0].pid;
    assert.ok(alive(containerPid), 'the pod outlives the daemon');

    client = await connect(h);
    assert.notEqual(client.info!.pid, oldPid);
    assert.equal(readFileSync(join(h, 'test-runtime', 'reconcile-count'), 'utf8'), '2');
    const again = await client.getPod('keeper');
    assert.equal(again.uid, status.uid);
    assert.equal(again.phase, 'Running');
    const events = await client.listEvents('keeper');
    assert.ok(events.some((e) => e.type === 'pod' && e.phase === 'Running'), 'history from before the restart');
    assert.ok(events.every((e) => e.type !== 'pull' || e.progress.type !== 'blob-progress'), 'byte counts are not stored');
    client.close();
  });

  it('serves two clients at once: runs, lists and deletes interleave', async () => {
    const h = home();
    const [a, b] = await Promise.all([connect(h), connect(h)]);
    const names = ['c1', 'c2', 'c3', 'c4', 'c5', 'c6'];
    await Promise.all(names.map((n, i) => (i % 2 ? a : b).runPod({ manifest: pod(n), fileName: `${n}.yaml` })));
    const listed = (await a.listPods()).map((p) => p.name).sort();
    assert.deepEqual(listed, names);
    await Promise.all(names.map((n, i) => (i % 2 ? b : a).deletePod({ pod: n, force: true })));
    assert.deepEqual(await b.listPods(), []);
    await assert.rejects(a.getPod('c1'), (e: Error) => e instanceof PodError && e.code === 'NOT_FOUND');
    a.close();
    b.close();
  });

  it('streams events to subscribers as they happen', async () => {
    const h = home();
    const [watcher, actor] = await Promise.all([connect(h), connect(h)]);
    const seen: string[] = [];
    const progress: string[] = [];
    let sawExit: () => void = () => undefined;
    const exited = new Promise<void>((resolve) => (sawExit = resolve));
    const stop = await watcher.subscribe({ pod: 'ev' }, (e) => {
      seen.push(e.type === 'pull' ? `pull:${e.progress.type}` : e.type === 'pod' ? `pod:${e.phase}` : e.type === 'container' ? `container:${e.state}` : e.type);
      if (e.type === 'container' && e.state === 'terminated') sawExit();
    });
    const stopAll = await watcher.subscribe({ progress: true }, (e) => e.type === 'pull' && progress.push(e.progress.type));
    await actor.runPod({ manifest: pod('ev', 'exit 0'), fileName: 'ev.yaml' });
    await actor.runPod({ manifest: pod('other'), fileName: 'other.yaml' });
    await within(exited, 'the container exit event');
    assert.deepEqual(seen.slice(0, 4), ['pull:resolve', 'pull:done', 'container:running', 'pod:Running']);
    assert.ok(progress.includes('blob-progress'), 'progress subscribers also get byte counts');
    await stop();
    await stopAll();
    const before = seen.length;
    // A subscription still open on the same connection: events reach a connection in order, so once it has seen
    // the new pod run, anything still sent to the closed subscriptions would have arrived too.
    let sawRunning: () => void = () => undefined;
    const running = new Promise<void>((resolve) => (sawRunning = resolve));
    const stopBarrier = await watcher.subscribe({ pod: 'ev' }, (e) => e.type === 'pod' && e.phase === 'Running' && sawRunning());
    await actor.deletePod({ pod: 'ev', force: true });
    await actor.runPod({ manifest: pod('ev'), fileName: 'ev.yaml' });
    await within(running, 'the new pod on the open subscription');
    assert.equal(seen.length, before, 'nothing after unsubscribing');
    await stopBarrier();
    watcher.close();
    actor.close();
  });

  it('logs what it does, never secrets, manifests or exec arguments', async () => {
    const h = home();
    const client = await connect(h);
    const manifest = pod('secretive') + `---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\nstringData:\n  password: s3cr3t-value\n`;
    await client.runPod({ manifest, fileName: 'secretive.yaml' });
    const session = await client.exec({ pod: 'secretive', command: ['sh', '-c', 'echo hunter2-token >/dev/null'], tty: false, stdin: false });
    assert.deepEqual(await session.ended, { kind: 'exit', code: 0 });
    client.close();
    const log = readFileSync(daemonPaths(h).log, 'utf8');
    assert.match(log, /run secretive\.yaml/);
    assert.match(log, /exec secretive\/\(default\) sh started/);
    assert.doesNotMatch(log, /s3cr3t-value|hunter2-token|stringData/);
  });

  it('stops on request (pods keep running) and a client then starts a new one', async () => {
    const h = home();
    let client = await connect(h);
    await client.runPod({ manifest: pod('survivor'), fileName: 's.yaml' });
    const pid = client.info!.pid;
    await client.shutdown();
    await waitFor('the daemon to exit', () => !alive(pid));
    client.close();
    client = await connect(h);
    assert.equal((await client.getPod('survivor')).phase, 'Running');
    client.close();
  });
});
