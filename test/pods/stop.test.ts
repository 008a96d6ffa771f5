// stop_pod and delete_pod: preStop hooks, the stop signal, the grace period, SIGKILL after it; a forced
// delete kills at once; both leave nothing behind once deleted.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileAppears } from '../support/wait';
import { container, IMAGE, podManifest, podTestEnv, whyNoNativePods, type PodTestEnv } from './fixtures';

const skip = whyNoNativePods();

describe('stop and delete', { skip }, () => {
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

  it('runs preStop, sends SIGTERM, and SIGKILLs what is still running after the grace period', async () => {
    const mount = [{ name: 'shared', mountPath: '/shared' }];
    const status = await env.runtime.runPod({
      manifest: podManifest('graceful', {
        terminationGracePeriodSeconds: 30,
        volumes: [{ name: 'shared', emptyDir: {} }],
        containers: [
          {
            name: 'trapper',
            image: IMAGE,
            command: ['sh', '-c', "trap 'echo term >> /shared/log; exit 7' TERM; echo started > /shared/ready; while true; do sleep 0.1; done"],
            lifecycle: { preStop: { exec: { command: ['sh', '-c', 'echo prestop >> /shared/log'] } } },
            volumeMounts: mount,
          },
          { name: 'stubborn', image: IMAGE, command: ['sleep', '1000'] },
        ],
      }),
    });
    const volume = join(env.home, 'pods', status.uid, 'volumes', 'shared');
    // The shell is PID 1 of its container: a SIGTERM before its trap is set would be ignored, not trapped.
    await fileAppears(join(volume, 'ready'));
    const grace = 2;
    const began = Date.now();
    const stopped = await env.runtime.stopPod({ pod: 'graceful', gracePeriodSeconds: grace });
    // The grace period is behaviour, not speed: the stubborn container must get it (a slow machine only adds to
    // this). That it was then killed shows in its exit code 137 below; the manifest's 30 s are not waited.
    const took = Date.now() - began;
    assert.ok(took >= grace * 1000, `the stubborn container got its grace period (${took} ms)`);
    const trapper = container(stopped, 'trapper').state.terminated!;
    const stubborn = container(stopped, 'stubborn').state.terminated!;
    assert.equal(trapper.exitCode, 7, 'SIGTERM reached the trap');
    assert.equal(trapper.reason, 'Error');
    assert.equal(stubborn.exitCode, 137, 'SIGKILL after the grace period');
    assert.equal(readFileSync(join(volume, 'log'), 'utf8'), 'prestop\nterm\n', 'the preStop hook ran before the signal');
    assert.equal(stopped.phase, 'Failed');
    assert.equal(stopped.reason, 'Stopped');
    // Stopping again is a no-op; the status stays readable until deletion.
    assert.equal((await env.runtime.stopPod({ pod: 'graceful' })).phase, 'Failed');
    assert.equal((await env.runtime.podStatus(status.uid)).name, 'graceful');
    await env.runtime.deletePod({ pod: 'graceful' });
    assert.deepEqual(await env.runtime.listPods(), []);
  });

  it('a forced delete kills at once, whatever the grace period: no preStop hook, no SIGTERM', async () => {
    // A hostPath outlives the pod, so it can tell afterwards what the container saw.
    const seen = mkdtempSync(join(tmpdir(), 'podsmith-forced-'));
    try {
      await env.runtime.runPod({
        manifest: podManifest('forced', {
          terminationGracePeriodSeconds: 300,
          volumes: [{ name: 'seen', hostPath: { path: seen, type: 'Directory' } }],
          containers: [
            {
              name: 'a',
              image: IMAGE,
              command: ['sh', '-c', "trap 'echo term >> /seen/log' TERM; echo up > /seen/ready; while true; do sleep 0.1; done"],
              lifecycle: { preStop: { exec: { command: ['sh', '-c', 'echo prestop >> /seen/log'] } } },
              volumeMounts: [{ name: 'seen', mountPath: '/seen' }],
            },
          ],
        }),
      });
      await fileAppears(join(seen, 'ready')); // the trap is set
      await env.runtime.deletePod({ pod: 'forced', force: true });
      assert.deepEqual(await env.runtime.listPods(), []);
      assert.equal(existsSync(join(seen, 'log')), false, 'neither the preStop hook nor a SIGTERM reached the container');
    } finally {
      rmSync(seen, { recursive: true, force: true });
    }
  });

  it('a container that exits on SIGTERM stops at once, however long the grace period', async () => {
    const status = await env.runtime.runPod({
      manifest: podManifest('quick', {
        terminationGracePeriodSeconds: 1,
        volumes: [{ name: 'shared', emptyDir: {} }],
        containers: [
          {
            name: 'a',
            image: IMAGE,
            command: ['sh', '-c', "trap 'exit 0' TERM; echo > /shared/ready; while true; do sleep 0.1; done"],
            volumeMounts: [{ name: 'shared', mountPath: '/shared' }],
          },
        ],
      }),
    });
    // The shell is PID 1 of its container: a SIGTERM before its trap is set would be ignored, not trapped.
    await fileAppears(join(env.home, 'pods', status.uid, 'volumes', 'shared', 'ready'));
    // Exit code 0 comes from the TERM trap; waiting out the grace period would end in SIGKILL (137) after
    // 100,000 s, which no test run survives.
    const s = await env.runtime.stopPod({ pod: 'quick', gracePeriodSeconds: 100_000 });
    assert.equal(container(s, 'a').state.terminated?.exitCode, 0);
    assert.equal(s.phase, 'Succeeded');
    await env.runtime.deletePod({ pod: 'quick' });
  });
});
