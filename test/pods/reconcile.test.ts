// reconcile: pods keep running while no runtime supervises them (conmon is each container's parent), and a
// new runtime instance on the same home reads pod.json back, collects exits that happened meanwhile from
// conmon's exit files, resumes restarts, and removes pods whose creation or deletion was interrupted.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { container, IMAGE, podManifest, podTestEnv, text, until, whyNoNativePods, type PodTestEnv } from './fixtures';

const skip = whyNoNativePods();

describe('reconcile', { skip }, () => {
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

  it('a new runtime instance sees the same running pod and the exits that happened without it', async () => {
    const mount = [{ name: 'shared', mountPath: '/shared' }];
    const first = env.newRuntime();
    const started = await first.runPod({
      manifest: podManifest('survivor', {
        restartPolicy: 'OnFailure',
        terminationGracePeriodSeconds: 1,
        volumes: [{ name: 'shared', emptyDir: {} }],
        containers: [
          { name: 'steady', image: IMAGE, command: ['sleep', '1000'], volumeMounts: mount },
          { name: 'ender', image: IMAGE, command: ['sh', '-c', 'while [ ! -f /shared/go ]; do sleep 0.05; done; rm /shared/go; exit 9'], volumeMounts: mount },
        ],
      }),
    });
    // The supervising instance goes away (a daemon exit); the pod does not.
    await first.close();
    const trigger = await first.exec({ pod: 'survivor', container: 'steady', command: ['touch', '/shared/go'], tty: false, stdin: false });
    assert.equal(await trigger.exit, 0);
    const exits = join(env.home, 'pods', started.uid, 'exits');
    const enderId = container(started, 'ender').containerID.replace('podsmith://', '');
    await until('conmon to record the exit', () => readdirSync(exits).includes(enderId) && readFileSync(join(exits, enderId), 'utf8').trim() === '9');

    const second = env.newRuntime();
    // Before reconciling, a reader already sees the exit (nothing is changed on disk).
    const seen = await second.podStatus('survivor');
    assert.equal(container(seen, 'ender').state.terminated?.exitCode, 9);
    assert.deepEqual(container(seen, 'steady').state, container(started, 'steady').state);

    await second.reconcile();
    const after = await until('ender to be restarted by the new instance', async () => {
      const s = await second.podStatus('survivor');
      return container(s, 'ender').restartCount === 1 && container(s, 'ender').state.running ? s : undefined;
    });
    assert.equal(after.uid, started.uid);
    assert.equal(container(after, 'ender').lastState.terminated?.exitCode, 9);
    assert.equal(container(after, 'steady').containerID, container(started, 'steady').containerID, 'steady kept running throughout');
    assert.equal(container(after, 'steady').restartCount, 0);
    const ex = await second.exec({ pod: 'survivor', container: 'steady', command: ['hostname'], tty: false, stdin: false });
    assert.equal((await text(ex.stdout)).trim(), 'survivor');
    await second.deletePod({ pod: 'survivor' });
  });

  it('removes a pod whose creation was interrupted, and finishes an interrupted deletion', async () => {
    const r = env.newRuntime();
    const a = await r.runPod({ manifest: podManifest('halfmade', { containers: [{ name: 'a', image: IMAGE, command: ['sleep', '1000'] }] }) });
    const b = await r.runPod({ manifest: podManifest('halfgone', { containers: [{ name: 'a', image: IMAGE, command: ['sleep', '1000'] }] }) });
    await r.close();
    // What a daemon killed in the middle of run_pod or delete_pod leaves in pod.json.
    for (const [uid, lifecycle] of [
      [a.uid, 'creating'],
      [b.uid, 'deleting'],
    ]) {
      const file = join(env.home, 'pods', uid, 'pod.json');
      writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), lifecycle }));
    }
    const fresh = env.newRuntime();
    await fresh.reconcile();
    assert.deepEqual(await fresh.listPods(), []);
    assert.deepEqual(await env.leaks.check(), []);
  });
});
