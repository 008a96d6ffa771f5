// Container ends and restart policies: exit codes and reasons (Completed, Error, OOMKilled), Never and
// OnFailure with the kubelet's crash-loop back-off visible in status, Always restarting a clean exit.
import { cgroupsWritable } from '../../engine/rootless/cgroup-access';
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { container, IMAGE, podManifest, podTestEnv, until, whyNoNativePods, type PodTestEnv } from './fixtures';

const skip = whyNoNativePods();

describe('restart policies, exit codes and OOM', { skip }, () => {
  let env: PodTestEnv;
  before(async () => {
    env = await podTestEnv();
  });
  afterEach(async () => {
    assert.deepEqual(await env.cleanup(), []);
  });
  after(async () => {
    await env?.dispose();
  });

  it('Never: exit codes are kept, the pod Fails, its sandbox stops', async () => {
    await env.runtime.runPod({
      manifest: podManifest('never', {
        restartPolicy: 'Never',
        containers: [
          { name: 'fails', image: IMAGE, command: ['sh', '-c', 'exit 3'] },
          { name: 'works', image: IMAGE, command: ['true'] },
        ],
      }),
    });
    const status = await until('both containers to end', async () => {
      const s = await env.runtime.podStatus('never');
      return s.containerStatuses.every((c) => c.state.terminated) && s.phase !== 'Running' ? s : undefined;
    });
    assert.equal(status.phase, 'Failed');
    assert.deepEqual(
      status.containerStatuses.map((c) => [c.name, c.state.terminated?.exitCode, c.state.terminated?.reason, c.restartCount]),
      [
        ['fails', 3, 'Error', 0],
        ['works', 0, 'Completed', 0],
      ],
    );
    assert.equal(status.conditions.find((c) => c.type === 'PodReadyToStartContainers')?.status, 'False', 'the pause container is gone');
    await env.runtime.deletePod({ pod: 'never' });
  });

  it('OnFailure: a failing container restarts at once, then waits in CrashLoopBackOff', async () => {
    await env.runtime.runPod({ manifest: podManifest('crashy', { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: IMAGE, command: ['sh', '-c', 'echo crash; exit 1'] }] }) });
    const status = await until('the crash-loop back-off', async () => {
      const s = await env.runtime.podStatus('crashy');
      return container(s, 'c').state.waiting?.reason === 'CrashLoopBackOff' ? s : undefined;
    });
    const c = container(status, 'c');
    assert.equal(c.restartCount, 1, 'the first restart is immediate, the second waits');
    assert.match(c.state.waiting!.message!, /^back-off 10s restarting failed container=c pod=crashy_default\(/);
    assert.equal(c.lastState.terminated?.exitCode, 1);
    assert.equal(c.lastState.terminated?.reason, 'Error');
    assert.equal(c.ready, false);
    assert.equal(status.phase, 'Running', 'a restarting pod is Running, as the kubelet reports it');
    await env.runtime.deletePod({ pod: 'crashy' });
  });

  it('OnFailure: a clean exit is not restarted and the pod Succeeds', async () => {
    await env.runtime.runPod({ manifest: podManifest('done', { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: IMAGE, command: ['true'] }] }) });
    const status = await until('the pod to succeed', async () => {
      const s = await env.runtime.podStatus('done');
      return s.phase === 'Succeeded' ? s : undefined;
    });
    assert.equal(container(status, 'c').restartCount, 0);
    assert.equal(container(status, 'c').state.terminated?.reason, 'Completed');
    await env.runtime.deletePod({ pod: 'done' });
  });

  it('Always: a clean exit is restarted too', async () => {
    await env.runtime.runPod({ manifest: podManifest('always', { containers: [{ name: 'c', image: IMAGE, command: ['sh', '-c', 'sleep 0.2'] }] }) });
    const status = await until('a restart', async () => {
      const s = await env.runtime.podStatus('always');
      return container(s, 'c').restartCount >= 1 ? s : undefined;
    });
    assert.equal(container(status, 'c').lastState.terminated?.exitCode, 0);
    await env.runtime.deletePod({ pod: 'always', force: true });
  });

  it('a container over its memory limit is OOMKilled with exit code 137', async () => {
    await env.runtime.runPod({
      manifest: podManifest('oom', {
        restartPolicy: 'Never',
        containers: [{ name: 'hog', image: IMAGE, command: ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=64M', 'count=4'], resources: { limits: { memory: '16Mi' } } }],
      }),
    });
    const status = await until('the OOM kill', async () => {
      const s = await env.runtime.podStatus('oom');
      return container(s, 'hog').state.terminated ? s : undefined;
    });
    const t = container(status, 'hog').state.terminated!;
    if (cgroupsWritable()) {
      assert.equal(t.exitCode, 137);
      assert.equal(t.reason, 'OOMKilled');
      assert.equal(status.phase, 'Failed');
    } else {
      // Rootless without a delegated cgroup: the limit cannot hold, and the pod says so instead of hiding it.
      assert.equal(t.exitCode, 0);
      assert.match(status.warnings?.join('\n') ?? '', /limits not enforced \(rootless, .*\): memory 16Mi \(hog\)/);
    }
    await env.runtime.deletePod({ pod: 'oom' });
  });

  it('an OOM-killed init container fails run_pod naming the reason', async () => {
    const manifest = podManifest('initoom', {
      initContainers: [{ name: 'hog', image: IMAGE, command: ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=64M', 'count=4'], resources: { limits: { memory: '16Mi' } } }],
      containers: [{ name: 'app', image: IMAGE, command: ['sleep', '1000'] }],
    });
    if (!cgroupsWritable()) {
      // Rootless without a delegated cgroup: the init container is not limited, and the pod says so.
      const status = await env.runtime.runPod({ manifest });
      assert.equal(container(status, 'hog').state.terminated?.exitCode, 0);
      assert.match(status.warnings?.join('\n') ?? '', /limits not enforced .*memory 16Mi \(hog\)/);
      await env.runtime.deletePod({ pod: 'initoom', force: true });
      return;
    }
    await assert.rejects(env.runtime.runPod({ manifest }), /init container "hog" failed with exit code 137 \(OOMKilled\)/);
  });
});
