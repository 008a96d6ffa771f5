// The order of things in a wasm pod: init containers one by one to completion before the app containers,
// all-or-nothing start (a module that cannot be instantiated, an init container that fails: nothing runs,
// nothing is left), and restartPolicy with the kubelet's back-off.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import type { PodError, PodEvent } from '../../engine/pods/types';
import { container, IMAGES, text, until, wasmLeaks, wasmPod, wasmTestEnv, whyNoWasm, type WasmTestEnv } from './fixtures';

const skip = whyNoWasm();
const work = [{ name: 'work', mountPath: '/work' }];

describe('pod-wasm lifecycle', { skip }, () => {
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

  it('runs init containers in order, to completion, before the app containers', async () => {
    const status = await env.runtime.runPod({
      manifest: wasmPod('inits', {
        volumes: [{ name: 'work', emptyDir: {} }],
        initContainers: [
          { name: 'first', image: IMAGES.tool, command: ['tool.wasm', 'append', '/work/order', 'first'], volumeMounts: work },
          { name: 'second', image: IMAGES.toolApp, command: ['tool.wasm', 'append', '/work/order', 'second'], volumeMounts: work },
        ],
        containers: [
          { name: 'app', image: IMAGES.tool, command: ['tool.wasm', 'cat', '/work/order'], volumeMounts: work },
          { name: 'server', image: IMAGES.tool, command: ['tool.wasm', 'serve'] },
        ],
      }),
    });
    assert.equal(status.phase, 'Running');
    const [first, second] = status.initContainerStatuses.map((c) => c.state.terminated!);
    assert.deepEqual([first.exitCode, first.reason, second.exitCode, second.reason], [0, 'Completed', 0, 'Completed']);
    assert.ok(first.finishedAt <= second.startedAt!, 'second starts after first ended');
    assert.ok(second.finishedAt <= container(status, 'server').state.running!.startedAt, 'apps start after the init containers');
    assert.equal(status.conditions.find((c) => c.type === 'Initialized')?.status, 'True');
    await until('app to print the order', async () => (await text(await env.runtime.logs({ pod: 'inits', container: 'app' }))) === 'first\nsecond\n\n');
    assert.equal(await text(await env.runtime.logs({ pod: 'inits', container: 'first' })), 'appended first\n');
  });

  it('fails with INIT_FAILED when an init container fails, leaving nothing', async () => {
    const events: PodEvent[] = [];
    const off = env.runtime.watch((e) => events.push(e));
    await assert.rejects(
      env.runtime.runPod({
        manifest: wasmPod('badinit', {
          initContainers: [{ name: 'setup', image: IMAGES.tool, command: ['tool.wasm', 'exit', '7'] }],
          containers: [{ name: 'app', image: IMAGES.tool, command: ['tool.wasm', 'serve'] }],
        }),
      }),
      (e: PodError) => {
        assert.equal(e.code, 'INIT_FAILED');
        assert.equal(e.details?.container, 'setup');
        assert.match(e.message, /init container "setup" failed with exit code 7/);
        return true;
      },
    );
    off();
    assert.ok(!events.some((e) => e.type === 'container' && e.container === 'app' && e.state === 'running'), 'the app never ran');
    assert.deepEqual(wasmLeaks(env.home), []);
  });

  it('starts nothing when one module of three cannot be instantiated, naming it', async () => {
    const events: PodEvent[] = [];
    const off = env.runtime.watch((e) => events.push(e));
    const pod = (bad: string) =>
      wasmPod('atomic', {
        containers: [
          { name: 'one', image: IMAGES.tool, command: ['tool.wasm', 'serve'] },
          { name: 'bad', image: bad },
          { name: 'two', image: IMAGES.toolApp, command: ['tool.wasm', 'serve'] },
        ],
      });
    // Caught by the supervisor's instantiation of every module before any starts.
    await assert.rejects(env.runtime.runPod({ manifest: pod(IMAGES.badinit) }), (e: PodError) => {
      assert.equal(e.code, 'START_FAILED');
      assert.equal(e.details?.container, 'bad');
      assert.match(e.message, /container "bad": the module cannot be instantiated: .*out of bounds/);
      return true;
    });
    assert.deepEqual(wasmLeaks(env.home), []);
    // Caught before the supervisor exists: an import WASI cannot satisfy.
    await assert.rejects(env.runtime.runPod({ manifest: pod(IMAGES.badimport) }), (e: PodError) => {
      assert.equal(e.code, 'START_FAILED');
      assert.equal(e.details?.container, 'bad');
      assert.match(e.message, /env\.podsmith_missing, which WASI preview 1 \(node:wasi\) does not provide/);
      return true;
    });
    off();
    assert.ok(!events.some((e) => e.type === 'container' && e.state === 'running'), 'no container ever ran');
    assert.equal(events.filter((e) => e.type === 'pod' && e.phase === 'Failed').length, 2);
    assert.deepEqual(wasmLeaks(env.home), []);
  });

  it('restarts a failing container under OnFailure with the kubelet back-off', async () => {
    await env.runtime.runPod({
      manifest: wasmPod('crashy', {
        restartPolicy: 'OnFailure',
        containers: [
          { name: 'crash', image: IMAGES.tool, command: ['tool.wasm', 'exit', '1'] },
          { name: 'fine', image: IMAGES.tool, command: ['tool.wasm', 'exit', '0'] },
        ],
      }),
    });
    // The first restart is immediate; the next exit waits 10 s (CrashLoopBackOff).
    const s = await until('crash to be in back-off after one restart', async () => {
      const st = await env.runtime.podStatus('crashy');
      const c = container(st, 'crash');
      return c.restartCount === 1 && c.state.waiting?.reason === 'CrashLoopBackOff' ? st : undefined;
    });
    const crash = container(s, 'crash');
    assert.match(crash.state.waiting!.message!, /^back-off 10s restarting failed container=crash pod=crashy_default/);
    assert.equal(crash.lastState.terminated?.exitCode, 1);
    assert.equal(container(s, 'fine').restartCount, 0, 'a container that exits 0 is not restarted under OnFailure');
    assert.equal(container(s, 'fine').state.terminated?.reason, 'Completed');
    assert.equal(s.phase, 'Running');
    assert.equal(await text(await env.runtime.logs({ pod: 'crashy', container: 'crash', previous: true })), 'exiting with 1\n');
    assert.equal(await text(await env.runtime.logs({ pod: 'crashy', container: 'crash' })), 'exiting with 1\n');
    const stopped = await env.runtime.stopPod({ pod: 'crashy' });
    assert.equal(container(stopped, 'crash').state.terminated?.exitCode, 1, 'a stopped pod shows how the container last ended');
  });
});
