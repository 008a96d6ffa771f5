// emptyDir sizes, as the kubelet enforces them: a memory-backed emptyDir is a tmpfs of min(sizeLimit, the pod's
// memory limit, the engine default), and a pod whose disk emptyDir outgrows its sizeLimit is evicted (all
// containers killed, phase Failed, reason Evicted, an Evicted event), its disk volumes emptied.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { totalmem } from 'node:os';
import { eventRow } from '../../engine/cli/format/event-rows';
import { PodPaths } from '../../engine/pods/native';
import { DEFAULT_MEMORY_EMPTYDIR_BYTES } from '../../engine/pods/native/volumes';
import type { PodEvent } from '../../engine/pods/types';
import { container, IMAGE, nextEvent, podManifest, podTestEnv, text, whyNoNativePods, type PodTestEnv } from './fixtures';

const skip = whyNoNativePods();

async function sh(env: PodTestEnv, pod: string, script: string): Promise<{ out: string; code: number }> {
  const ex = await env.runtime.exec({ pod, command: ['sh', '-c', script], tty: false, stdin: false });
  const [out, err, code] = await Promise.all([text(ex.stdout), text(ex.stderr), ex.exit]);
  return { out: out + err, code };
}

/** Sizes (KiB) of the tmpfs mounted at each path, as df inside the container reports them. */
async function tmpfsKiB(env: PodTestEnv, pod: string, paths: string[]): Promise<number[]> {
  const r = await sh(env, pod, paths.map((p) => `df -k ${p} | tail -1 | awk '{print $2}'`).join('; '));
  assert.equal(r.code, 0, r.out);
  return r.out.trim().split('\n').map(Number);
}

describe('emptyDir sizes', { skip }, () => {
  let env: PodTestEnv;
  before(async () => {
    // Measured often, so an eviction test waits for its event in well under a second.
    env = await podTestEnv({ volumeUsageIntervalMs: 100 });
  });
  afterEach(async () => {
    assert.deepEqual(await env.cleanup(), []);
  });
  after(async () => {
    await env?.dispose();
  });

  it('a memory-backed emptyDir without limits gets the engine default, not half the host memory', async () => {
    await env.runtime.runPod({
      manifest: podManifest('ram-default', {
        terminationGracePeriodSeconds: 0,
        volumes: [
          { name: 'plain', emptyDir: { medium: 'Memory' } },
          { name: 'sized', emptyDir: { medium: 'Memory', sizeLimit: '4Mi' } },
        ],
        containers: [{ name: 'app', image: IMAGE, command: ['sleep', '1000'], volumeMounts: [{ name: 'plain', mountPath: '/plain' }, { name: 'sized', mountPath: '/sized' }] }],
      }),
    });
    const expected = Math.min(DEFAULT_MEMORY_EMPTYDIR_BYTES, Math.floor(totalmem() / 2)) / 1024;
    assert.deepEqual(await tmpfsKiB(env, 'ram-default', ['/plain', '/sized']), [Math.floor(expected / 4) * 4, 4096]);
    await env.runtime.deletePod({ pod: 'ram-default', force: true });
  });

  it("a memory-backed emptyDir is capped by the pod's memory limit, and by a smaller sizeLimit", async () => {
    await env.runtime.runPod({
      manifest: podManifest('ram-capped', {
        terminationGracePeriodSeconds: 0,
        volumes: [
          { name: 'plain', emptyDir: { medium: 'Memory' } },
          { name: 'big', emptyDir: { medium: 'Memory', sizeLimit: '1Gi' } },
          { name: 'small', emptyDir: { medium: 'Memory', sizeLimit: '2Mi' } },
        ],
        containers: [
          {
            name: 'app',
            image: IMAGE,
            command: ['sleep', '1000'],
            resources: { limits: { memory: '32Mi' } },
            volumeMounts: [{ name: 'plain', mountPath: '/plain' }, { name: 'big', mountPath: '/big' }, { name: 'small', mountPath: '/small' }],
          },
        ],
      }),
    });
    assert.deepEqual(await tmpfsKiB(env, 'ram-capped', ['/plain', '/big', '/small']), [32768, 32768, 2048]);
    const r = await sh(env, 'ram-capped', 'dd if=/dev/zero of=/small/fill bs=1024 count=3072 2>&1; echo "exit $?"');
    assert.match(r.out, /No space left on device/);
    assert.match(r.out, /exit 1/);
    await env.runtime.deletePod({ pod: 'ram-capped', force: true });
  });

  it('a pod whose disk emptyDir outgrows its sizeLimit is evicted, with the kubelet\'s reason and message', async () => {
    const evicted = nextEvent(env.runtime, (e) => e.type === 'pod' && e.pod === 'hog' && e.reason === 'Evicted', 30_000);
    const status = await env.runtime.runPod({
      manifest: podManifest('hog', {
        restartPolicy: 'Always',
        terminationGracePeriodSeconds: 30,
        volumes: [
          // Measured first and under its limit: only "data" is over.
          { name: 'small', emptyDir: { sizeLimit: '10Mi' } },
          { name: 'data', emptyDir: { sizeLimit: '1Mi' } },
        ],
        containers: [
          {
            name: 'app',
            image: IMAGE,
            command: ['sh', '-c', 'dd if=/dev/zero of=/small/f bs=1024 count=1024 && dd if=/dev/zero of=/data/fill bs=1024 count=2048 && exec sleep 1000'],
            volumeMounts: [{ name: 'small', mountPath: '/small' }, { name: 'data', mountPath: '/data' }],
          },
          { name: 'bystander', image: IMAGE, command: ['sleep', '1000'] },
        ],
      }),
    });
    const event = (await evicted) as Extract<PodEvent, { type: 'pod' }>;
    const message = 'Usage of EmptyDir volume "data" exceeds the limit "1Mi".';
    assert.equal(event.phase, 'Failed');
    assert.equal(event.message, message);
    assert.deepEqual(eventRow(event), { time: event.time, type: 'Warning', reason: 'Evicted', object: 'pod/hog', message });
    const after = await env.runtime.podStatus('hog');
    assert.equal(after.phase, 'Failed');
    assert.equal(after.reason, 'Evicted');
    assert.equal(after.message, message);
    for (const name of ['app', 'bystander']) {
      const c = container(after, name);
      assert.ok(c.state.terminated, `${name} is killed, not restarted (restartPolicy Always)`);
      assert.equal(c.state.terminated.exitCode, 137, `${name} is killed at once, without its 30 s grace period`);
    }
    const volume = new PodPaths(env.home, status.uid).volume('data');
    assert.ok(existsSync(volume) && readdirSync(volume).length === 0, 'the evicted pod\'s emptyDir is emptied, freeing the disk');
    await env.runtime.deletePod({ pod: 'hog' });
  });
});
