// The warm spare supervisor (engine/pods/wasm/spare.ts): run_pod hands the pod to it (its pid is the pod's
// supervisor, its sandbox the pod's, its log the pod's supervisor.log) and a fresh spare replaces it; an idle
// spare leaves when its runtime closes or the process that started it dies (what it has on the host goes at
// the next reconcile), leaving nothing; an assigned one outlives its runtime.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive } from '../../engine/runtime/processes';
import { listSandboxIds } from '../../engine/pods/wasm/sandbox';
import { IMAGES, until, wasmLeaks, wasmPod, wasmTestEnv, whyNoWasm, type WasmTestEnv } from './fixtures';
import { killChild, TextSink } from '../support/wait';

const skip = whyNoWasm();
const serve = (name: string) => wasmPod(name, { terminationGracePeriodSeconds: 0, containers: [{ name: 'app', image: IMAGES.tool, command: ['tool.wasm', 'serve'] }] });

describe('pod-wasm spare supervisor', { skip }, () => {
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

  it('runs the pod in the spare, then starts a fresh spare', async () => {
    const spare = await until('a spare', () => env.runtime.spareSupervisor());
    const status = await env.runtime.runPod({ manifest: serve('warm') });
    assert.equal(status.phase, 'Running');
    const dir = join(env.home, 'wasm-pods', status.uid);
    const pod = JSON.parse(readFileSync(join(dir, 'pod.json'), 'utf8')) as { supervisor: { pid: number }; sandbox: { id: string } };
    assert.equal(pod.supervisor.pid, spare.pid, 'the spare became the pod supervisor');
    assert.equal(pod.sandbox.id, spare.id, 'its sandbox became the pod sandbox');
    assert.ok(existsSync(join(dir, 'supervisor.log')), 'its log moved into the pod directory');
    const next = await until('a fresh spare', () => {
      const s = env.runtime.spareSupervisor();
      return s && s.pid !== spare.pid ? s : undefined;
    });
    assert.deepEqual(listSandboxIds(env.home).sort(), [spare.id, next.id].sort(), 'one sandbox for the pod, one spare');
    assert.ok(existsSync(next.log) && !existsSync(spare.log), 'the spare keeps its log in its sandbox directory until assigned');
    // The fresh spare serves the next pod.
    const second = await env.runtime.runPod({ manifest: serve('warm2') });
    assert.equal(JSON.parse(readFileSync(join(env.home, 'wasm-pods', second.uid, 'pod.json'), 'utf8')).supervisor.pid, next.pid);
    await env.runtime.deletePod({ pod: 'warm' });
    await env.runtime.deletePod({ pod: 'warm2' });
    assert.ok(!isAlive(spare.pid) && !isAlive(next.pid), 'deleting the pods ended their supervisors');
  });

  it('an idle spare ends with its runtime; an assigned one outlives it', async () => {
    const r = env.newRuntime();
    const first = await until('a spare', () => r.spareSupervisor());
    const status = await r.runPod({ manifest: serve('outlives') });
    const idle = await until('a fresh spare', () => {
      const s = r.spareSupervisor();
      return s && s.pid !== first.pid ? s : undefined;
    });
    await r.close();
    assert.ok(!isAlive(idle.pid), 'close() ended the idle spare');
    assert.equal(r.spareSupervisor(), undefined);
    assert.ok(!listSandboxIds(env.home).includes(idle.id) && !existsSync(idle.log), 'and removed its sandbox');
    assert.ok(isAlive(first.pid), 'the pod supervisor it had assigned runs on');
    assert.equal((await env.runtime.podStatus('outlives')).phase, 'Running');
    assert.equal((await env.runtime.podStatus('outlives')).uid, status.uid);
  });

  it('an idle spare leaves by itself when the process that started it dies', async (t) => {
    const childEnv = { ...process.env };
    delete childEnv.NODE_TEST_CONTEXT;
    const host = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'spare-host.ts'), env.home], { stdio: ['ignore', 'pipe', 'inherit'], env: childEnv });
    t.after(() => killChild(host)); // a failed assertion before the SIGKILL below must not leave it running
    const out = new TextSink();
    host.stdout!.on('data', out.add);
    const pid = Number(/^(\d+)\n/.exec(await out.until('the host to report its spare', (t) => /^\d+\n/.test(t), 30_000))![1]);
    assert.ok(isAlive(pid));
    const exited = new Promise((r) => host.once('exit', r));
    host.kill('SIGKILL');
    await exited;
    await until('the orphaned spare to leave', () => !isAlive(pid));
    assert.ok(wasmLeaks(env.home).every((l) => !l.startsWith('process')), 'no process of the orphan is left');
    // Its sandbox on the host (runc's state, the slot mount, the directory) goes at the next reconcile, as
    // a restarted daemon runs it; this runtime's own spare stays.
    await env.runtime.reconcile();
    const mine = env.runtime.spareSupervisor()?.id ?? '\0';
    assert.deepEqual(wasmLeaks(env.home, true).filter((l) => !l.includes(mine)), []);
  });
});
