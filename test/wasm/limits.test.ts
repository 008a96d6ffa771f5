// Limits of a wasm pod: the instruction budget (fuel, from the pod annotation), linear memory against
// resources.limits.memory (a declared maximum over the limit is refused, growth past it is stopped), and
// the CPU-time fallback for a module the metering rewriter cannot instrument.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import type { PodError } from '../../engine/pods/types';
import { container, IMAGES, text, until, wasmLeaks, wasmPod, wasmTestEnv, whyNoWasm, type WasmTestEnv } from './fixtures';

const skip = whyNoWasm();

describe('pod-wasm limits', { skip }, () => {
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

  const terminated = (pod: string, name: string) =>
    until(`${name} to be stopped`, async () => container(await env.runtime.podStatus(pod), name).state.terminated, 20_000);

  it('stops a module that spends its instruction budget, and only that one', async () => {
    await env.runtime.runPod({
      manifest: wasmPod(
        'spinner',
        {
          restartPolicy: 'Never',
          containers: [
            { name: 'spin', image: IMAGES.tool, command: ['tool.wasm', 'spin'] },
            { name: 'calm', image: IMAGES.tool, command: ['tool.wasm', 'serve'] },
          ],
        },
        [],
        { 'podsmith.io/wasm-fuel': '20000000' },
      ),
    });
    const t = await terminated('spinner', 'spin');
    assert.equal(t.reason, 'FuelExhausted');
    assert.equal(t.exitCode, 137);
    assert.match(t.message ?? '', /instruction budget of 20000000/);
    const s = await env.runtime.podStatus('spinner');
    assert.ok(container(s, 'calm').state.running, 'the other module runs on');
    assert.equal(s.phase, 'Running');
    assert.equal(await text(await env.runtime.logs({ pod: 'spinner', container: 'spin' })), 'spinning\n');
  });

  it('stops a module whose memory grows past resources.limits.memory (OOMKilled), and lets one within it finish', async () => {
    await env.runtime.runPod({
      manifest: wasmPod('hungry', {
        restartPolicy: 'Never',
        containers: [
          { name: 'greedy', image: IMAGES.tool, command: ['tool.wasm', 'alloc', '64'], resources: { limits: { memory: '16Mi' } } },
          { name: 'modest', image: IMAGES.tool, command: ['tool.wasm', 'alloc', '4'], resources: { limits: { memory: '16Mi' } } },
        ],
      }),
    });
    const greedy = await terminated('hungry', 'greedy');
    assert.equal(greedy.reason, 'OOMKilled');
    assert.equal(greedy.exitCode, 137);
    assert.match(greedy.message ?? '', /past the limit of 256 pages/);
    const lines = (await text(await env.runtime.logs({ pod: 'hungry', container: 'greedy' }))).trim().split('\n');
    const last = Number(/allocated (\d+) MiB/.exec(lines[lines.length - 1])?.[1]);
    assert.ok(last >= 8 && last < 16, `it got ${last} MiB of its 16 MiB before being stopped`);
    const modest = await terminated('hungry', 'modest');
    assert.equal(modest.reason, 'Completed');
  });

  it('refuses a module whose declared maximum memory exceeds the limit, creating nothing', async () => {
    const pod = (memory?: string) =>
      wasmPod('bigmem', {
        restartPolicy: 'Never',
        containers: [
          { name: 'ok', image: IMAGES.hello },
          { name: 'big', image: IMAGES.bigmem, ...(memory ? { resources: { limits: { memory } } } : {}) },
        ],
      });
    await assert.rejects(env.runtime.runPod({ manifest: pod('32Mi') }), (e: PodError) => {
      assert.equal(e.code, 'LIMIT');
      assert.equal(e.details?.container, 'big');
      assert.match(e.message, /container "big": the module's declared maximum memory \(1024 pages, 64 MiB\) exceeds resources\.limits\.memory \(33554432 bytes, 512 pages\)/);
      return true;
    });
    assert.deepEqual(wasmLeaks(env.home), []);
    // Without a limit the same module runs.
    await env.runtime.runPod({ manifest: pod() });
    assert.equal((await terminated('bigmem', 'big')).exitCode, 0);
  });

  it('bounds a module it cannot meter by its CPU time instead', async () => {
    await env.runtime.runPod({
      manifest: wasmPod('unmetered', { restartPolicy: 'Never', containers: [{ name: 'eh', image: IMAGES.ehspin }] }, [], { 'podsmith.io/wasm-fuel': '300000000' }),
    });
    const t = await terminated('unmetered', 'eh');
    assert.equal(t.reason, 'CPUBudgetExceeded');
    assert.equal(t.exitCode, 137);
    assert.match(t.message ?? '', /over its budget of 0\.3 s/);
  });
});
