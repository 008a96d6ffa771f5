// Init containers run one by one, in order, each to exit 0, before the app containers; a failing one makes
// run_pod fail with INIT_FAILED (container and exit code named) and roll back everything. Native sidecars
// (init containers with restartPolicy Always) start and keep running beside the app containers.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { PodError } from '../../engine/pods/types';
import { container, IMAGE, podManifest, podTestEnv, text, whyNoNativePods, type PodTestEnv } from './fixtures';

const skip = whyNoNativePods();

describe('init containers and sidecars', { skip }, () => {
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

  it('runs init containers in order before the app, and a sidecar beside it', async () => {
    const mount = [{ name: 'work', mountPath: '/work' }];
    const manifest = podManifest('ordered', {
      terminationGracePeriodSeconds: 1,
      volumes: [{ name: 'work', emptyDir: {} }],
      initContainers: [
        { name: 'first', image: IMAGE, command: ['sh', '-c', 'echo first >> /work/order'], volumeMounts: mount },
        { name: 'second', image: IMAGE, command: ['sh', '-c', 'test -f /work/order && echo second >> /work/order'], volumeMounts: mount },
        { name: 'sidecar', image: IMAGE, restartPolicy: 'Always', command: ['sh', '-c', 'echo sidecar >> /work/order; exec sleep 1000'], volumeMounts: mount },
      ],
      containers: [{ name: 'app', image: IMAGE, command: ['sh', '-c', 'echo app >> /work/order; exec sleep 1000'], volumeMounts: mount }],
    });
    const status = await env.runtime.runPod({ manifest });
    assert.equal(status.phase, 'Running');
    assert.deepEqual(container(status, 'first').state.terminated && { code: container(status, 'first').state.terminated!.exitCode, reason: container(status, 'first').state.terminated!.reason }, { code: 0, reason: 'Completed' });
    assert.equal(container(status, 'second').state.terminated?.exitCode, 0);
    assert.ok(container(status, 'sidecar').state.running);
    assert.equal(status.conditions.find((c) => c.type === 'Initialized')?.status, 'True');
    const ex = await env.runtime.exec({ pod: 'ordered', command: ['cat', '/work/order'], tty: false, stdin: false });
    const lines = (await text(ex.stdout)).trim().split('\n');
    assert.deepEqual(lines.slice(0, 3), ['first', 'second', 'sidecar']);
    assert.equal(lines[3], 'app');
    // Stopping: the app first, then the sidecar.
    const stopped = await env.runtime.stopPod({ pod: 'ordered', gracePeriodSeconds: 1 });
    const app = container(stopped, 'app').state.terminated!;
    const sidecar = container(stopped, 'sidecar').state.terminated!;
    assert.ok(Date.parse(app.finishedAt) <= Date.parse(sidecar.finishedAt), 'the app stops before the sidecar');
    await env.runtime.deletePod({ pod: 'ordered' });
  });

  it('a failing init container fails run_pod with its exit code and leaves nothing behind', async () => {
    const manifest = podManifest('initfail', {
      initContainers: [
        { name: 'ok', image: IMAGE, command: ['true'] },
        { name: 'boom', image: IMAGE, command: ['sh', '-c', 'echo failing; exit 42'] },
        { name: 'never', image: IMAGE, command: ['true'] },
      ],
      containers: [{ name: 'app', image: IMAGE, command: ['sleep', '1000'] }],
    });
    const seen: string[] = [];
    await assert.rejects(
      env.runtime.runPod({ manifest }, (e) => {
        if (e.type === 'container' && e.state === 'terminated') seen.push(`${e.container}:${e.exitCode}`);
      }),
      (e: PodError) => {
        assert.equal(e.code, 'INIT_FAILED');
        assert.equal(e.details?.container, 'boom');
        assert.match(e.message, /init container "boom" failed with exit code 42 \(Error\)/);
        return true;
      },
    );
    assert.deepEqual(seen, ['ok:0', 'boom:42'], 'the third init container never ran');
    assert.deepEqual(await env.runtime.listPods(), []);
    assert.deepEqual(await env.leaks.check(), []);
  });
});
