// The seeds' engine-wide limits: at most LIMITS.podsPerEngine pods and containersPerEngine containers across
// both runtimes (checked in the router before anything is allocated, race-free under concurrent runs; the
// tests lower the caps through the router's option), and the time limits on container start (a hung
// `runc create` or `runc start`) and on an exec nobody is typing into.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { DEFAULT_TIMEOUTS } from '../../engine/image/registry/limits';
import { LIMITS } from '../../engine/limits';
import { DEFAULT_CAPACITY } from '../../engine/pods/capacity';
import { routePods } from '../../engine/pods/router';
import type { PodRuntime } from '../../engine/pods/runtime';
import { PodError } from '../../engine/pods/types';
import { createWasmRuntime, type WasmRuntime } from '../../engine/pods/wasm';
import { buildPrograms, IMAGES, loadWasmImages, wasmLeaks, wasmPod, whyNoWasm } from '../wasm/fixtures';
import { IMAGE, podManifest, podTestEnv, text, whyNoNativePods, type PodTestEnv } from './fixtures';

const skip = whyNoNativePods() ?? whyNoWasm();

/** A native pod of `containers` containers, without pasta (it is not what is tested here). */
const native = (name: string, containers = 1) =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, annotations: { 'podsmith.io/network': 'none' } },
    spec: { containers: Array.from({ length: containers }, (_, i) => ({ name: `c${i}`, image: IMAGE, command: ['sleep', '1000'] })) },
  });
const wasm = (name: string) => wasmPod(name, { containers: [{ name: 'a', image: IMAGES.tool, command: ['tool.wasm', 'serve'] }] });

describe('engine-wide caps on pods and containers, across runtimes', { skip }, () => {
  let env: PodTestEnv;
  let wasmRuntime: WasmRuntime;

  before(async () => {
    env = await podTestEnv();
    await loadWasmImages(env.home, await buildPrograms());
    wasmRuntime = createWasmRuntime({ home: env.home });
    env.leaks.track(wasmRuntime);
  });
  afterEach(async () => {
    for (const r of [env.runtime, wasmRuntime]) for (const p of await r.listPods()) await r.deletePod({ pod: p.uid, force: true });
    assert.deepEqual(await env.leaks.check(), []);
    assert.deepEqual(wasmLeaks(env.home), []);
  });
  after(async () => {
    await wasmRuntime?.close();
    await env?.dispose();
  });

  /** A router over both runtimes with the given caps (a new one per test: its counts start from disk). */
  function engine(pods: number, containers: number): PodRuntime {
    return routePods(
      [
        { classes: ['pod-containers'], runtime: env.runtime },
        { classes: ['pod-wasm'], runtime: wasmRuntime },
      ],
      { capacity: { pods, containers } },
    );
  }

  it('are the seeds\' numbers by default: 1,024 pods and containers, 60 s to start, 300 s to pull and to exec', () => {
    assert.deepEqual(DEFAULT_CAPACITY, { pods: 1024, containers: 1024 });
    assert.equal(LIMITS.podsPerEngine, 1024);
    assert.equal(LIMITS.containersPerEngine, 1024);
    assert.equal(LIMITS.containerStartSeconds, 60);
    assert.equal(DEFAULT_TIMEOUTS.totalMs, 300_000, 'a whole pull (its own test: test/image/registry/faults.test.ts)');
    assert.equal(LIMITS.execSeconds, 300);
  });

  it('counts native and wasm pods together and refuses past either cap before allocating anything', async () => {
    const e = engine(3, 4);
    await e.runPod({ manifest: native('n1') });
    await e.runPod({ manifest: wasm('w1') });
    await e.runPod({ manifest: native('n2', 2) });
    const dirs = () => [...readdirSafe(join(env.home, 'pods')), ...readdirSafe(join(env.home, 'wasm-pods'))].sort();
    const before = dirs();
    await assert.rejects(e.runPod({ manifest: wasm('w2') }), (err: PodError) => err.code === 'RESOURCE_EXHAUSTED' && /at most 3 may exist at once \(the engine-wide pod limit\)/.test(err.message));
    assert.deepEqual(dirs(), before, 'nothing was made for the refused pod');
    // A pod that already exists by that name is the runtime's to refuse (ALREADY_EXISTS says more).
    await assert.rejects(e.runPod({ manifest: native('n1') }), (err: PodError) => err.code === 'ALREADY_EXISTS');

    await e.deletePod({ pod: 'w1', force: true });
    // 2 pods, 3 containers: a third pod fits, but not with 2 containers.
    await assert.rejects(e.runPod({ manifest: native('n3', 2) }), (err: PodError) => err.code === 'RESOURCE_EXHAUSTED' && /at most 4 containers may exist at once \(the engine-wide container limit\)/.test(err.message));
    assert.deepEqual(dirs().length, 2);
    await e.runPod({ manifest: wasm('w3') });
    // A router started later counts what is on disk.
    await assert.rejects(engine(3, 100).runPod({ manifest: native('n4') }), (err: PodError) => err.code === 'RESOURCE_EXHAUSTED');
  });

  it('lets exactly as many concurrent runs through as the cap allows', async () => {
    const e = engine(3, 100);
    const runs = await Promise.allSettled([...['a', 'b', 'c', 'd'].map((n) => e.runPod({ manifest: native(`n-${n}`) })), ...['a', 'b', 'c', 'd'].map((n) => e.runPod({ manifest: wasm(`w-${n}`) }))]);
    const ok = runs.filter((r) => r.status === 'fulfilled').length;
    const refused = runs.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    assert.equal(ok, 3);
    assert.equal(refused.length, 5);
    for (const r of refused) assert.equal((r.reason as PodError).code, 'RESOURCE_EXHAUSTED', String(r.reason));
    const listed = await e.listPods();
    assert.equal(listed.length, 3);
    // Failed runs give their slot back.
    await assert.rejects(e.runPod({ manifest: native('n-a') }), (err: PodError) => err.code === 'ALREADY_EXISTS' || err.code === 'RESOURCE_EXHAUSTED');
    await e.deletePod({ pod: listed[0].name, force: true });
    await e.runPod({ manifest: native('n-later') });
  });
});

describe('time limits', { skip: whyNoNativePods() }, () => {
  let env: PodTestEnv;
  let wrapper: string;
  const SLEEP = '86399';

  before(async () => {
    env = await podTestEnv({ timeouts: { containerStartMs: 2000, execMs: 1500 } });
    const runc = spawnSync('sh', ['-c', 'command -v runc || echo /usr/sbin/runc'], { encoding: 'utf8' }).stdout.trim();
    // runc, except that it never returns from `create` of a container named "stall" or `start` of one named
    // "hang" (container ids are <uid prefix>-<name>-<restart>). Named runc so its state is runc's.
    const dir = join(env.home, 'wrapper');
    spawnSync('mkdir', ['-p', dir]);
    wrapper = join(dir, 'runc');
    writeFileSync(
      wrapper,
      `#!/bin/sh
verb=""; last=""
for a in "$@"; do case "$a" in create|start) [ -z "$verb" ] && verb="$a";; esac; last="$a"; done
case "$verb:$last" in create:*-stall-*|start:*-hang-*) exec sleep ${SLEEP};; esac
exec ${runc} "$@"
`,
    );
    chmodSync(wrapper, 0o755);
  });
  afterEach(async () => {
    assert.deepEqual(await env.cleanup(), []);
    assert.deepEqual(hungSleeps(), [], 'the hung runtime processes were killed');
  });
  after(async () => {
    await env?.dispose();
  });

  /** Processes of the wrapper that hang (a `sleep 86399`). */
  function hungSleeps(): number[] {
    return readdirSync('/proc')
      .filter((n) => /^\d+$/.test(n))
      .filter((n) => {
        try {
          return readFileSync(`/proc/${n}/cmdline`, 'utf8') === `sleep\0${SLEEP}\0`;
        } catch {
          return false;
        }
      })
      .map(Number);
  }

  for (const [name, step] of [
    ['hang', 'start'],
    ['stall', 'create'],
  ]) {
    it(`a container whose runc ${step} hangs fails run with TIMEOUT naming it, and nothing is left`, async () => {
      const manifest = podManifest('slow-start', { containers: [{ name: 'ok', image: IMAGE, command: ['sleep', '1000'] }, { name, image: IMAGE, command: ['sleep', '1000'] }] });
      await assert.rejects(env.runtime.runPod({ manifest, ociRuntime: wrapper }), (e: PodError) => {
        assert.equal(e.code, 'TIMEOUT');
        assert.equal(e.details?.container, name);
        assert.match(e.message, new RegExp(`container "${name}": runc ${step} .*did not finish within 2 s`));
        return true;
      });
      assert.deepEqual(await env.runtime.listPods(), []);
    });
  }

  it('an exec without a terminal or stdin is killed at its limit with TIMEOUT; one with stdin is not', async () => {
    await env.runtime.runPod({ manifest: native('execs') });
    const stuck = await env.runtime.exec({ pod: 'execs', command: ['sleep', '77'], tty: false, stdin: false });
    stuck.stdout.resume();
    stuck.stderr?.resume();
    await assert.rejects(stuck.exit, (e: PodError) => e.code === 'TIMEOUT' && /did not finish within 1.5 s/.test(e.message));
    const ps = await env.runtime.exec({ pod: 'execs', command: ['ps'], tty: false, stdin: false });
    assert.doesNotMatch(await text(ps.stdout), /sleep 77/, 'the command itself is gone, not only runc exec');
    assert.equal(await ps.exit, 0);

    // Someone may be typing into this one: it runs past the limit.
    const typed = await env.runtime.exec({ pod: 'execs', command: ['sh', '-c', 'read line; sleep 2; echo "$line"'], tty: false, stdin: true });
    typed.stdin!.end('still here\n');
    assert.equal(await text(typed.stdout), 'still here\n');
    assert.equal(await typed.exit, 0);
  });
});

function readdirSafe(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}
