// Stopping and deleting pods that are already stopping or still starting, through the real daemon and CLI:
//   - `rm -f` and `stop --grace 1` end a pending 300 s graceful stop at once (as a second `kubectl delete`
//     shortens a pending deletion), and the pod shows as Terminating with metadata.deletionTimestamp;
//   - a daemon stopped while a delete waits out its grace period leaves the pod listed (Terminating), and the
//     next daemon finishes the delete: nothing is left, pasta included;
//   - `rm -f` while `run` is still starting the pod cancels the run (CANCELLED) and leaves nothing.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectDaemon } from '../../engine/client/connect';
import { DaemonError, type DaemonClient } from '../../engine/client/daemon-client';
import { PodError, type PodStatus } from '../../engine/pods/types';
import { buildBusyboxLayout, IMAGE, podManifest, whyNoNativePods } from '../pods/fixtures';
import { LeakTracker } from '../support/leaks';
import { cleanupHome, cli, daemonPid, makeHome, runMain, waitFor } from './support/harness';
import { alive } from './support/process-runtime';

const skip = whyNoNativePods();

/** A pod whose process ignores SIGTERM: only SIGKILL at the end of its grace period ends it. */
const stubborn = (name: string, grace: number) =>
  podManifest(name, {
    terminationGracePeriodSeconds: grace,
    containers: [{ name: 'a', image: IMAGE, command: ['sh', '-c', "trap '' TERM; while true; do sleep 0.2; done"] }],
  });

describe('stop and delete of pods that are stopping or starting', { skip }, () => {
  let home: string;
  let leaks: LeakTracker;
  const clients: DaemonClient[] = [];
  const savedHome = process.env.PODSMITH_HOME;

  async function daemon(): Promise<DaemonClient> {
    const client = await connectDaemon({ home, env: { ...process.env, PODSMITH_HOME: home } });
    clients.push(client);
    await client.subscribe({}, (e) => e.type !== 'pull' && leaks.uids.add(e.uid));
    return client;
  }

  async function stopDaemon(): Promise<void> {
    const pid = daemonPid(home);
    const stopped = await runMain(['daemon', 'stop']);
    assert.equal(stopped.code, 0, stopped.err);
    if (pid) await waitFor('the daemon to exit', () => !alive(pid));
    for (const c of clients.splice(0)) c.close();
  }

  /** Waits until the pod is being stopped (deletionTimestamp set) and returns that status. */
  async function terminating(client: DaemonClient, pod: string): Promise<PodStatus> {
    let status: PodStatus | undefined;
    await waitFor(`${pod} to be Terminating`, async () => !!(status = await client.getPod(pod)).deletionTimestamp);
    return status!;
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
    for (const uid of readdirSafe(join(home, 'pods'))) leaks.uids.add(uid);
    assert.deepEqual(await leaks.check(), []);
  });

  after(async () => {
    await stopDaemon().catch(() => undefined);
    if (savedHome === undefined) delete process.env.PODSMITH_HOME;
    else process.env.PODSMITH_HOME = savedHome;
    if (home) assert.deepEqual(await cleanupHome(home), []);
  });

  // The test's own timeout is far below the 300 s grace period: waiting it out fails the test.
  it('rm -f ends a pending 300 s graceful stop at once; the pod is Terminating meanwhile', { timeout: 60_000 }, async () => {
    const client = await daemon();
    const running = await client.runPod({ manifest: stubborn('stubborn', 300) });
    const stop = client.stopPod({ pod: 'stubborn' });
    const during = await terminating(client, 'stubborn');
    assert.equal(during.deletionGracePeriodSeconds, 300);
    assert.ok(Date.parse(during.deletionTimestamp!) > Date.now() + 200_000, `SIGKILL due at ${during.deletionTimestamp}`);
    // As kubectl shows it: STATUS Terminating, metadata.deletionTimestamp in -o json.
    const ps = await runMain(['ps']);
    assert.match(ps.out, /^stubborn\s+1\/1\s+Terminating\s/m);
    const json = JSON.parse((await runMain(['ps', '-o', 'json', 'stubborn'])).out) as { metadata: Record<string, unknown> };
    assert.equal(json.metadata.deletionTimestamp, during.deletionTimestamp);
    assert.equal(json.metadata.deletionGracePeriodSeconds, 300);

    const rm = await runMain(['rm', '-f', 'stubborn']);
    assert.equal(rm.code, 0, rm.err);
    // The stop joined the same termination and ends with it.
    const stopped = await stop;
    assert.equal(stopped.uid, running.uid);
    assert.equal(stopped.containerStatuses[0].state.terminated?.exitCode, 137, 'SIGKILLed, not waited for');
    assert.deepEqual(await client.listPods(), []);
  });

  it('stop --grace 1 shortens a pending graceful stop; both callers get the stopped pod', { timeout: 60_000 }, async () => {
    const client = await daemon();
    await client.runPod({ manifest: stubborn('shorter', 300) });
    const first = client.stopPod({ pod: 'shorter' });
    await terminating(client, 'shorter');
    const second = await runMain(['stop', '--grace', '1', 'shorter']);
    assert.equal(second.code, 0, second.err);
    assert.match(second.out, /pod\/shorter stopped \(Failed\)/);
    const status = await first;
    assert.equal(status.containerStatuses[0].state.terminated?.exitCode, 137);
    assert.equal(status.deletionTimestamp, undefined, 'stopped: no longer Terminating');
    // A longer grace never pushes a deadline back; a stop of a stopped pod is a no-op.
    assert.equal((await client.stopPod({ pod: 'shorter', gracePeriodSeconds: 300 })).phase, 'Failed');
    await client.deletePod({ pod: 'shorter' });
  });

  it('a daemon stopped while a delete waits out the grace period: the pod stays listed and the next daemon deletes it, pasta too', { timeout: 90_000 }, async () => {
    const client = await daemon();
    const pod = await client.runPod({ manifest: stubborn('pending', 4) });
    assert.ok(existsSync(join(home, 'pods', pod.uid, 'net', 'pasta.json')), 'the pod has pasta (outbound network)');
    const deleting = client.deletePod({ pod: 'pending' }).then(
      () => undefined,
      (e: Error) => e,
    );
    await terminating(client, 'pending');
    await stopDaemon();
    assert.ok((await deleting) instanceof DaemonError, 'the client lost its daemon, not a pod error');

    // The next daemon resumes the deletion with the deadline it had, in the background: it answers at once.
    const next = await daemon();
    const listed = await next.listPods();
    assert.deepEqual(listed.map((p) => p.name), ['pending'], 'still listed until it is gone');
    assert.ok(listed[0].deletionTimestamp, 'Terminating');
    await waitFor('the resumed delete to finish', async () => (await next.listPods()).length === 0, 30_000);
    assert.deepEqual(await leaks.check(), []);
  });

  it('rm -f while run is still starting the pod cancels the run: CANCELLED, nothing left', { timeout: 60_000 }, async () => {
    const client = await daemon();
    const file = join(home, 'slow.yaml');
    // The init container never finishes: run waits for it until cancelled (or is cancelled earlier on its way).
    writeFileSync(
      file,
      podManifest('slow', { initContainers: [{ name: 'wait', image: IMAGE, command: ['sleep', '1000'] }], containers: [{ name: 'a', image: IMAGE, command: ['sleep', '1000'] }] }),
    );
    const run = cli(['run', '-f', file], home);
    await waitFor('the pod to be listed (Pending)', async () => (await client.getPod('slow').catch(() => undefined))?.phase === 'Pending');
    // A plain rm is refused with a hint; rm -f cancels.
    await assert.rejects(client.deletePod({ pod: 'slow' }), (e: PodError) => e.code === 'BUSY' && /rm -f slow' cancels it/.test(e.message));
    const rm = await runMain(['rm', '-f', 'slow']);
    assert.equal(rm.code, 0, rm.err);
    assert.equal(rm.out, 'pod/slow deleted\n');
    const ran = await run;
    assert.equal(ran.code, 1);
    assert.match(ran.err, /podsmith run: .*run cancelled by a forced delete while the pod was starting/);
    assert.deepEqual(await client.listPods(), []);
    assert.deepEqual(await leaks.check(), []);
    // The name is free again.
    assert.equal((await client.runPod({ manifest: stubborn('slow', 1) })).phase, 'Running');
  });
});

function readdirSafe(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}
