// Reliability of microVM pods through the real daemon: it is SIGKILLed at named points inside run_pod,
// stop_pod and delete_pod (PODSMITH_FAILPOINTS). The next daemon reconciles: a pod caught mid-run is gone
// entirely (its QEMU and passt killed, sockets and shares removed), one caught mid-stop ends stopped, one
// caught mid-delete is deleted, and the leak checker (QEMU, passt, unix sockets, mounts, directories, names)
// finds nothing left. Points before the VM starts cost no boot; at run_pod:template-booted a VM template is
// being built (its QEMU must go too); the others clone one VM each from the template built next (TCG).
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectDaemon } from '../../engine/client/connect';
import type { DaemonClient } from '../../engine/client/daemon-client';
import { PodError } from '../../engine/pods/types';
import type { FailpointName } from '../../engine/pods/native/failpoint';
import { buildBusyboxLayout } from '../pods/fixtures';
import { IMAGE, whyNoMicrovm } from '../microvm/support';
import { LeakTracker } from '../support/leaks';
import { cleanupHome, daemonPid, makeHome, runMain, waitFor } from './support/harness';
import { alive } from './support/process-runtime';

const skip = whyNoMicrovm();

const manifest = (name: string) =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      runtimeClassName: 'pod-microvm-containers',
      terminationGracePeriodSeconds: 2,
      containers: [{ name: 'a', image: IMAGE, command: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.2; done'] }],
    },
  });

describe('daemon killed with SIGKILL inside microVM pod operations', { skip }, () => {
  let home: string;
  let leaks: LeakTracker;
  const savedHome = process.env.PODSMITH_HOME;
  const clients: DaemonClient[] = [];

  async function daemon(failpoints: FailpointName[] = []): Promise<DaemonClient> {
    // Templates in the home: one is built here (and one build is cut short), and the leak checker sees their QEMU.
    const env = { ...process.env, PODSMITH_HOME: home, PODSMITH_FAILPOINTS: failpoints.join(','), PODSMITH_MICROVM_TEMPLATES_DIR: join(home, 'templates') };
    const client = await connectDaemon({ home, env });
    clients.push(client);
    await client.subscribe({}, (e) => e.type !== 'pull' && leaks.uids.add(e.uid));
    return client;
  }

  async function crashed(pid: number): Promise<void> {
    await waitFor('the daemon to die', () => !alive(pid));
    for (const uid of readdirSafe(join(home, 'microvm-pods'))) leaks.uids.add(uid);
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
    for (const c of clients.splice(0)) c.close();
    const pid = daemonPid(home);
    await runMain(['daemon', 'stop']);
    if (pid) await waitFor('the daemon to exit', () => !alive(pid), 60_000);
  });

  after(async () => {
    for (const c of clients.splice(0)) c.close();
    if (savedHome === undefined) delete process.env.PODSMITH_HOME;
    else process.env.PODSMITH_HOME = savedHome;
    if (home) assert.deepEqual(await cleanupHome(home), []);
  });

  const runPoints: FailpointName[] = ['run_pod:claimed', 'run_pod:recorded', 'run_pod:prepared', 'run_pod:template-booted', 'run_pod:vm-started', 'run_pod:agent-connected', 'run_pod:before-running'];
  for (const point of runPoints) {
    it(`a crash at ${point} leaves no pod, VM, passt or socket once the daemon is back`, async () => {
      const client = await daemon([point]);
      const pid = daemonPid(home)!;
      await assert.rejects(client.runPod({ manifest: manifest('crash-run') }), (err: Error) => !(err instanceof PodError));
      await crashed(pid);
      const next = await daemon();
      assert.notEqual(daemonPid(home), pid);
      assert.deepEqual(await next.listPods(), []);
      assert.deepEqual(await leaks.check(), []);
      assert.deepEqual(readdirSafe(join(home, 'templates')).filter((n) => n.includes('.tmp-')), [], 'a template build cut short is removed');
      assert.deepEqual(readdirSafe(tmpdir()).filter((n) => n.startsWith(`podsmith-tpl-${pid}-`)), [], "the killed builder's socket directory is removed");
    });
  }

  for (const point of ['stop_pod:stopping', 'stop_pod:apps-stopped'] as FailpointName[]) {
    it(`a crash at ${point} ends with the pod stopped and its VM gone`, async () => {
      const client = await daemon([point]);
      const pid = daemonPid(home)!;
      const running = await client.runPod({ manifest: manifest('crash-stop') });
      assert.equal(running.phase, 'Running');
      await assert.rejects(client.stopPod({ pod: 'crash-stop' }));
      await crashed(pid);
      const next = await daemon();
      const pod = await next.getPod('crash-stop');
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
});

function readdirSafe(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}
