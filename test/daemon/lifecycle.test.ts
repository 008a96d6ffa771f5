// When a daemon leaves by itself: its socket path no longer leads to it (socket deleted or replaced, home
// removed), or, started on demand, it had nothing to do for the idle time. A daemon with a running pod, or one
// started by hand, stays. Every wait is for a process exit or a condition, with a deadline.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { connectDaemon } from '../../engine/client/connect';
import { defaultDaemonCommand, spawnDaemon, type DaemonCommand } from '../../engine/client/start-daemon';
import { daemonPaths } from '../../engine/daemon/paths';
import { cleanupHome, makeHome, processesOf, socketAnswers, testDaemonCommand, waitFor } from './support/harness';
import { alive } from './support/process-runtime';
import { whyNoNativePods } from '../pods/fixtures';

const homes: string[] = [];
function home(): string {
  const h = makeHome();
  homes.push(h);
  return h;
}

after(async () => {
  const leaks: string[] = [];
  for (const h of homes) {
    const left = await cleanupHome(h);
    if (left.length) leaks.push(`${h}: ${left.join(' ')}`);
  }
  assert.deepEqual(leaks, [], 'processes left behind');
});

interface Started {
  child: ChildProcess;
  pid: number;
  /** Resolves with the exit code when the daemon process exits. */
  exited: Promise<number | null>;
}

/** A daemon started the way a client starts one on demand (with --idle-exit from PODSMITH_DAEMON_IDLE). */
async function onDemand(h: string, idle: string, command: DaemonCommand = testDaemonCommand()): Promise<Started> {
  return started(h, spawnDaemon(daemonPaths(h), command, { ...process.env, PODSMITH_DAEMON_IDLE: idle }));
}

async function started(h: string, child: ChildProcess): Promise<Started> {
  // spawnDaemon unrefs it (it outlives its client); the test waits for its exit, so it holds the loop.
  child.ref();
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  await Promise.race([waitFor('the daemon socket', () => socketAnswers(h), 30_000), exited.then((code) => assert.fail(`the daemon exited (${code}) during start-up`))]);
  return { child, pid: child.pid!, exited };
}

/** Resolves with the exit code, or fails after `ms`. */
function exitWithin(d: Started, ms: number, what: string): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`the daemon did not exit within ${ms} ms after ${what}`)), ms)));
  return Promise.race([d.exited, deadline]).finally(() => clearTimeout(timer));
}

const pod = (name: string, script: string): string => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  containers:
    - name: app
      image: busybox
      command: ["sh", "-c", ${JSON.stringify(script)}]
`;

describe('a daemon nobody can reach leaves', () => {
  it('when its socket file is deleted', async () => {
    const h = home();
    const d = await onDemand(h, 'never');
    unlinkSync(daemonPaths(h).socket);
    assert.equal(await exitWithin(d, 15_000, 'its socket was deleted'), 0);
    assert.match(readFileSync(daemonPaths(h).log, 'utf8'), /podsmith\.sock is gone \(ENOENT\): no client can reach this daemon any more, so it stops/);
  });

  it('when its PODSMITH_HOME is removed, and it does not make the home again', async () => {
    const h = home();
    const d = await onDemand(h, 'never');
    // Retries as `rm -rf` would need to, should the daemon append a last log line while the tree goes.
    rmSync(h, { recursive: true, force: true, maxRetries: 5 });
    assert.equal(await exitWithin(d, 15_000, 'its home was removed'), 0);
    assert.equal(existsSync(h), false, 'nothing was written to the removed home on the way out');
  });

  it('when another socket takes its path, and it leaves that socket alone', async () => {
    const h = home();
    const d = await onDemand(h, 'never');
    const socket = daemonPaths(h).socket;
    unlinkSync(socket);
    const other = createServer();
    await new Promise<void>((r) => other.listen(socket, r));
    try {
      assert.equal(await exitWithin(d, 15_000, 'another socket took its path'), 0);
      assert.ok(existsSync(socket), "the other socket is still there: the daemon did not remove what is not its own");
      assert.ok(await socketAnswers(h), 'and it still answers');
    } finally {
      await new Promise((r) => other.close(r));
    }
  });
});

describe('a daemon started on demand leaves when idle', () => {
  it('after the idle time with no client and no pod', async () => {
    const h = home();
    const d = await onDemand(h, '1s');
    const client = await connectDaemon({ home: h, autoStart: false });
    await client.listPods();
    client.close();
    assert.equal(await exitWithin(d, 15_000, 'its last client left'), 0);
    assert.match(readFileSync(daemonPaths(h).log, 'utf8'), /no client, session or running pod for \d+ s: the daemon started on demand stops/);
    assert.equal(existsSync(daemonPaths(h).socket), false, 'it removed its socket');
  });

  it('not while a pod runs: only once the pod has finished', async () => {
    const h = home();
    const d = await onDemand(h, '1s');
    const client = await connectDaemon({ home: h, autoStart: false });
    // Runs well past the idle time (1 s, checked every 0.5 s), then completes.
    await client.runPod({ manifest: pod('brief', 'sleep 4; exit 0'), fileName: 'brief.yaml' });
    client.close();
    await exitWithin(d, 20_000, 'its pod completed');
    const state = JSON.parse(readFileSync(join(h, 'test-runtime', 'state.json'), 'utf8')) as { containers: { exit?: { code: number } }[] }[];
    assert.deepEqual(state[0].containers[0].exit?.code, 0, 'the daemon stayed until the pod had completed');
  });

  it('not when started by hand (podsmith daemon), even with PODSMITH_DAEMON_IDLE set', async () => {
    const byHand = home();
    const spawnedByHand = spawnDaemonByHand(byHand, { ...process.env, PODSMITH_DAEMON_IDLE: '1s' });
    const explicit = await started(byHand, spawnedByHand);
    (await connectDaemon({ home: byHand, autoStart: false })).close();
    // A daemon started on demand afterwards, with the same idle time: it leaves first, and the one started by
    // hand, idle for longer by then, is still there.
    const sibling = await onDemand(home(), '1s');
    assert.equal(await exitWithin(sibling, 15_000, 'its idle time'), 0);
    assert.ok(alive(explicit.pid), 'the daemon started by hand stays');
    explicit.child.kill('SIGTERM');
    assert.equal(await exitWithin(explicit, 15_000, 'SIGTERM'), 0);
  });
});

function spawnDaemonByHand(h: string, env: NodeJS.ProcessEnv): ChildProcess {
  // What `podsmith daemon` in a terminal is: no --idle-exit.
  return spawn(process.execPath, testDaemonCommand().args, { env: { ...env, PODSMITH_HOME: h }, stdio: 'ignore', detached: true });
}

describe('the real daemon', { skip: whyNoNativePods() }, () => {
  it('takes its wasm spare supervisor with it when it leaves', async () => {
    const h = home();
    const d = await onDemand(h, 'never', defaultDaemonCommand());
    await waitFor('the wasm spare supervisor', () => processesOf(h).some((pid) => pid !== d.pid && cmdline(pid).includes('--spare')), 30_000);
    rmSync(daemonPaths(h).socket);
    assert.equal(await exitWithin(d, 15_000, 'its socket was deleted'), 0);
    await waitFor('the spare supervisor to leave with it', () => processesOf(h).every((pid) => !cmdline(pid).includes('--spare')), 15_000);
  });
});

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}
