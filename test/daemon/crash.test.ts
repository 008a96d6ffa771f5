// Reliability on the real `pod-containers` runtime: the daemon is SIGKILLed at named points inside run_pod,
// stop_pod and delete_pod (PODSMITH_FAILPOINTS, engine/pods/native/failpoint.ts). The next daemon reconciles:
// a pod caught mid-run is gone entirely, one caught mid-stop ends stopped, one caught mid-delete is deleted,
// and the leak checker finds no container, conmon, pasta, cgroup, mount, bundle or name left. Also: a pasta
// that no state file names, and two clients running and deleting pods at the same time.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { connectDaemon } from '../../engine/client/connect';
import type { DaemonClient } from '../../engine/client/daemon-client';
import { PodError } from '../../engine/pods/types';
import type { FailpointName } from '../../engine/pods/native/failpoint';
import { buildBusyboxLayout, IMAGE, podManifest, whyNoNativePods } from '../pods/fixtures';
import { LeakTracker } from '../support/leaks';
import { cleanupHome, daemonPid, makeHome, runMain, waitFor } from './support/harness';
import { alive } from './support/process-runtime';

const skip = whyNoNativePods();

const manifest = (name: string) =>
  podManifest(name, {
    terminationGracePeriodSeconds: 2,
    containers: [
      { name: 'a', image: IMAGE, command: ['sleep', '1000'] },
      { name: 'b', image: IMAGE, command: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.2; done'] },
    ],
  });

describe('daemon killed with SIGKILL inside pod operations', { skip }, () => {
  let home: string;
  let leaks: LeakTracker;
  const savedHome = process.env.PODSMITH_HOME;
  const clients: DaemonClient[] = [];

  /** A daemon for this home (started if absent) whose environment arms the given crash points. */
  async function daemon(failpoints: FailpointName[] = []): Promise<DaemonClient> {
    const env = { ...process.env, PODSMITH_HOME: home, PODSMITH_FAILPOINTS: failpoints.join(',') };
    const client = await connectDaemon({ home, env });
    clients.push(client);
    await client.subscribe({}, (e) => e.type !== 'pull' && leaks.uids.add(e.uid));
    return client;
  }

  /** Waits for the daemon that just crashed to be gone; remembers every pod directory for the leak check. */
  async function crashed(pid: number): Promise<void> {
    await waitFor('the daemon to die', () => !alive(pid));
    for (const uid of readdirSafe(join(home, 'pods'))) leaks.uids.add(uid);
    for (const c of clients.splice(0)) c.close();
  }

  before(async () => {
    home = makeHome();
    process.env.PODSMITH_HOME = home;
    await buildBusyboxLayout(join(home, 'layout'));
    const loaded = await runMain(['load', '-i', join(home, 'layout'), '--name', IMAGE]);
    assert.equal(loaded.code, 0, loaded.err);
    leaks = new LeakTracker(home);
  });

  afterEach(async () => {
    const client = await daemon();
    for (const p of await client.listPods()) await client.deletePod({ pod: p.uid, force: true }).catch(() => {});
    assert.deepEqual(await leaks.check(), []);
    // The next test starts its own daemon, with its own crash points.
    for (const c of clients.splice(0)) c.close();
    const pid = daemonPid(home);
    await runMain(['daemon', 'stop']);
    if (pid) await waitFor('the daemon to exit', () => !alive(pid));
  });

  after(async () => {
    for (const c of clients.splice(0)) c.close();
    if (savedHome === undefined) delete process.env.PODSMITH_HOME;
    else process.env.PODSMITH_HOME = savedHome;
    if (home) assert.deepEqual(await cleanupHome(home), []);
  });

  const runPoints: FailpointName[] = ['run_pod:claimed', 'run_pod:recorded', 'run_pod:pause-started', 'run_pod:app-launched', 'run_pod:before-running'];
  for (const point of runPoints) {
    it(`a crash at ${point} leaves no pod once the daemon is back`, async () => {
      const client = await daemon([point]);
      const pid = daemonPid(home)!;
      await assert.rejects(client.runPod({ manifest: manifest('crash-run') }), (err: Error) => !(err instanceof PodError));
      await crashed(pid);

      const next = await daemon();
      assert.notEqual(daemonPid(home), pid);
      assert.deepEqual(await next.listPods(), []);
      assert.deepEqual(await leaks.check(), []);
      // The name is free again.
      const again = await next.runPod({ manifest: manifest('crash-run') });
      assert.equal(again.phase, 'Running');
    });
  }

  for (const point of ['stop_pod:stopping', 'stop_pod:apps-stopped'] as FailpointName[]) {
    it(`a crash at ${point} ends with the pod stopped, nothing running`, async () => {
      const client = await daemon([point]);
      const pid = daemonPid(home)!;
      const running = await client.runPod({ manifest: manifest('crash-stop') });
      assert.equal(running.phase, 'Running');
      await assert.rejects(client.stopPod({ pod: 'crash-stop' }));
      await crashed(pid);

      const next = await daemon();
      // The stop resumes in the background with the deadline it had (Terminating until then).
      let pod = await next.getPod('crash-stop');
      await waitFor('the resumed stop to finish', async () => !(pod = await next.getPod('crash-stop')).deletionTimestamp);
      assert.equal(pod.uid, running.uid);
      assert.ok(pod.phase === 'Succeeded' || pod.phase === 'Failed', `phase ${pod.phase}`);
      for (const c of pod.containerStatuses) assert.ok(c.state.terminated, `${c.name} ${JSON.stringify(c.state)}`);
      await next.deletePod({ pod: 'crash-stop' });
      assert.deepEqual(await leaks.check(), []);
    });
  }

  it('a crash at delete_pod:deleting finishes the deletion on restart', async () => {
    const client = await daemon(['delete_pod:deleting']);
    const pid = daemonPid(home)!;
    await client.runPod({ manifest: manifest('crash-delete') });
    await assert.rejects(client.deletePod({ pod: 'crash-delete', force: true }));
    await crashed(pid);
    const next = await daemon();
    assert.deepEqual(await next.listPods(), []);
    assert.deepEqual(await leaks.check(), []);
  });

  it('a pasta no state file names (a crash between its start and its record) is ended with its pod', async () => {
    const client = await daemon();
    const pod = await client.runPod({ manifest: manifest('crash-net') });
    const state = join(home, 'pods', pod.uid, 'net', 'pasta.json');
    assert.ok(existsSync(state), 'the pod has pasta');
    // As a daemon killed right after pasta started would leave it: running, unrecorded.
    rmSync(state);
    await client.deletePod({ pod: 'crash-net', force: true });
    assert.deepEqual(await leaks.check(), []);
  });

  it('two clients run and delete pods at the same time; one name, one pod', async () => {
    const [a, b] = [await daemon(), await daemon()];
    const names = ['p1', 'p2', 'p3'];
    const runs = await Promise.allSettled([...names.map((n) => a.runPod({ manifest: manifest(`a-${n}`) })), ...names.map((n) => b.runPod({ manifest: manifest(`b-${n}`) }))]);
    assert.deepEqual(runs.map((r) => r.status), Array(6).fill('fulfilled'));
    // Both ask for the same name: exactly one wins, the other is told it exists.
    const same = await Promise.allSettled([a.runPod({ manifest: manifest('same') }), b.runPod({ manifest: manifest('same') })]);
    assert.equal(same.filter((r) => r.status === 'fulfilled').length, 1);
    const lost = same.find((r): r is PromiseRejectedResult => r.status === 'rejected')!;
    assert.equal((lost.reason as PodError).code, 'ALREADY_EXISTS');
    assert.equal((await a.listPods()).length, 7);
    // Each deletes the other's pods while listing.
    await Promise.all([...names.map((n) => a.deletePod({ pod: `b-${n}`, force: true })), ...names.map((n) => b.deletePod({ pod: `a-${n}` })), b.listPods(), a.listPods()]);
    // Both delete the same pod: one deletes it, the other finds it gone (or busy while it goes).
    const del = await Promise.allSettled([a.deletePod({ pod: 'same', force: true }), b.deletePod({ pod: 'same', force: true })]);
    assert.ok(del.some((r) => r.status === 'fulfilled'));
    for (const r of del) if (r.status === 'rejected') assert.ok(['NOT_FOUND', 'BUSY'].includes((r.reason as PodError).code), String(r.reason));
    assert.deepEqual(await b.listPods(), []);
  });
});

function readdirSafe(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}
