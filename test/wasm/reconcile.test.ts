// A restarted daemon: pods keep running under their detached supervisors while no runtime watches them; a
// new runtime instance on the same home sees them, follows their changes, notices a supervisor that died
// (pid and start time) and removes pods whose creation was interrupted.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PodEvent } from '../../engine/pods/types';
import { container, IMAGES, nextEvent, text, until, wasmLeaks, wasmPod, wasmTestEnv, whyNoWasm, type WasmTestEnv } from './fixtures';

const skip = whyNoWasm();
const scratch = [{ name: 'scratch', mountPath: '/scratch' }];

describe('pod-wasm reconcile', { skip }, () => {
  let env: WasmTestEnv;
  before(async () => {
    env = await wasmTestEnv();
  });
  afterEach(async () => {
    assert.deepEqual(await env.cleanup(), []);
  });
  after(async () => {
    await env?.dispose();
  });

  it('a new runtime instance sees the running pod, its exits, and the death of its supervisor', async () => {
    const first = env.newRuntime();
    const started = await first.runPod({
      manifest: wasmPod('survivor', {
        restartPolicy: 'Never',
        volumes: [{ name: 'scratch', emptyDir: {} }],
        containers: [
          { name: 'steady', image: IMAGES.tool, command: ['tool.wasm', 'tick', '100'] },
          { name: 'ender', image: IMAGES.tool, command: ['tool.wasm', 'wait', '/scratch/go'], volumeMounts: scratch },
        ],
      }),
    });
    // The runtime that started it goes away (a daemon exit); the pod does not.
    await first.close();
    const dir = join(env.home, 'wasm-pods', started.uid);
    writeFileSync(join(dir, 'volumes', 'scratch', 'go'), '9');

    const second = env.newRuntime();
    const seen = await until('the exit to be recorded by the supervisor', async () => {
      const s = await second.podStatus('survivor');
      return container(s, 'ender').state.terminated ? s : undefined;
    });
    assert.equal(container(seen, 'ender').state.terminated?.exitCode, 9);
    assert.ok(container(seen, 'steady').state.running);
    assert.equal(container(seen, 'steady').containerID, container(started, 'steady').containerID, 'steady kept running throughout');
    assert.equal(seen.phase, 'Running');

    await second.reconcile();
    // The supervisor is killed behind everyone's back: the watching instance notices and says so.
    const { pid } = JSON.parse(readFileSync(join(dir, 'pod.json'), 'utf8')).supervisor as { pid: number };
    const died = nextEvent(second, (e: PodEvent) => e.type === 'pod' && e.pod === 'survivor' && e.phase === 'Failed');
    process.kill(pid, 'SIGKILL');
    await died;
    const after = await second.podStatus('survivor');
    assert.equal(after.reason, 'SupervisorDied');
    assert.match(after.message ?? '', new RegExp(`supervisor process \\(pid ${pid}\\) is gone`));
    const steady = container(after, 'steady').state.terminated!;
    assert.equal(steady.reason, 'ContainerStatusUnknown');
    assert.equal(steady.exitCode, 137);
    assert.equal(container(after, 'ender').state.terminated?.exitCode, 9, 'the exit seen before stays');
    assert.match(await text(await second.logs({ pod: 'survivor', container: 'steady' })), /^tick 1\n/);
    await second.deletePod({ pod: 'survivor' });
  });

  it('removes a pod whose creation was interrupted, and finishes an interrupted deletion', async () => {
    const r = env.newRuntime();
    const spec = { containers: [{ name: 'a', image: IMAGES.tool, command: ['tool.wasm', 'serve'] }] };
    const a = await r.runPod({ manifest: wasmPod('halfmade', spec) });
    const b = await r.runPod({ manifest: wasmPod('halfgone', spec) });
    await r.close();
    // What a daemon killed in the middle of run_pod or delete_pod leaves in pod.json.
    for (const [uid, lifecycle] of [
      [a.uid, 'creating'],
      [b.uid, 'deleting'],
    ]) {
      const file = join(env.home, 'wasm-pods', uid, 'pod.json');
      writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), lifecycle }));
    }
    const fresh = env.newRuntime();
    await fresh.reconcile();
    assert.deepEqual(await fresh.listPods(), []);
    assert.deepEqual(wasmLeaks(env.home), []);
  });
});
