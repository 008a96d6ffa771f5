// run_pod for pod-wasm end to end: real C programs compiled to wasm32-wasi and a WAT module, three image
// shapes, argv/env/volumes as WASI sees them, CRI logs, exit codes, stop with a grace period, delete, and
// the errors callers branch on (NOT_SUPPORTED for exec, NOT_FOUND for another runtime's pod, ALREADY_EXISTS).
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PodError, PodEvent } from '../../engine/pods/types';
import { container, IMAGES, nextEvent, text, until, wasmLeaks, wasmPod, wasmTestEnv, whyNoWasm, type WasmTestEnv } from './fixtures';

const skip = whyNoWasm();

describe('pod-wasm run_pod', { skip }, () => {
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

  it('runs modules from three image shapes with argv, env, a configMap, a secret and an emptyDir', async () => {
    const events: string[] = [];
    const settings = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { 'greeting.txt': 'hello from a configMap' } };
    const credentials = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'credentials' }, stringData: { token: 's3cret' } };
    const mounts = [
      { name: 'config', mountPath: '/config' },
      { name: 'scratch', mountPath: '/scratch' },
    ];
    const manifest = wasmPod(
      'trio',
      {
        restartPolicy: 'OnFailure',
        volumes: [
          { name: 'config', configMap: { name: 'settings' } },
          { name: 'scratch', emptyDir: {} },
          { name: 'credentials', secret: { secretName: 'credentials' } },
        ],
        containers: [
          // A wasm artifact of the CNCF layer type: no Entrypoint, so command is the whole argv.
          { name: 'server', image: IMAGES.tool, command: ['tool.wasm', 'serve'] },
          // An application/wasm artifact reading the configMap and writing to the emptyDir.
          { name: 'reader', image: IMAGES.toolApp, command: ['tool.wasm', 'cat', '/config/greeting.txt'], volumeMounts: mounts },
          { name: 'secret', image: IMAGES.tool, command: ['tool.wasm', 'cat', '/run/secrets/app/token'], volumeMounts: [{ name: 'credentials', mountPath: '/run/secrets/app' }] },
          { name: 'writer', image: IMAGES.toolApp, command: ['tool.wasm', 'write', '/scratch/out.txt', 'written by wasm'], volumeMounts: mounts },
          { name: 'readonly', image: IMAGES.tool, command: ['tool.wasm', 'write', '/config/new.txt', 'nope'], volumeMounts: mounts },
          // An ordinary image whose Entrypoint is /app/tool.wasm: args replace its Cmd, $(VAR) expands.
          { name: 'entry', image: IMAGES.toolEntry, args: ['echo', 'two words', '$(GREETING)'], env: [{ name: 'GREETING', value: 'from-the-pod' }] },
        ],
      },
      [settings, credentials],
    );
    const status = await env.runtime.runPod({ manifest, fileName: 'trio.yaml' }, (e) => events.push(e.type === 'pod' ? `pod:${e.phase}` : e.type === 'container' ? `${e.container}:${e.state}` : e.type));
    assert.equal(status.runtimeClassName, 'pod-wasm');
    assert.equal(status.phase, 'Running');
    assert.equal(status.ociRuntime, undefined);
    assert.equal(status.containerStatuses.length, 6);
    for (const c of status.containerStatuses) {
      assert.match(c.imageID, /^sha256:[0-9a-f]{64}$/);
      assert.match(c.containerID, new RegExp(`^podsmith://${status.uid.replace(/-/g, '').slice(0, 12)}-${c.name}-0$`));
    }
    assert.ok(container(status, 'server').state.running, 'server runs');
    assert.equal(events[events.length - 1], 'pod:Running');
    assert.ok(events.includes('server:running'));

    const done = async (name: string) => until(`${name} to finish`, async () => container(await env.runtime.podStatus('trio'), name).state.terminated);
    assert.deepEqual([(await done('reader')).exitCode, (await done('secret')).exitCode, (await done('writer')).exitCode, (await done('entry')).exitCode], [0, 0, 0, 0]);
    // OnFailure restarts the failed one at once, then backs off for 10 s.
    const current = await until('readonly to fail twice', async () => {
      const s = await env.runtime.podStatus('trio');
      return container(s, 'readonly').state.waiting?.reason === 'CrashLoopBackOff' ? s : undefined;
    });
    assert.equal(container(current, 'readonly').restartCount, 1);
    assert.equal(container(current, 'readonly').lastState.terminated?.exitCode, 1, 'a configMap volume is read-only');
    assert.equal(container(current, 'readonly').lastState.terminated?.reason, 'Error');
    assert.equal(current.phase, 'Running', 'server keeps the pod running');
    assert.equal(container(current, 'reader').state.terminated?.reason, 'Completed');

    const logs = async (c: string) => text(await env.runtime.logs({ pod: 'trio', container: c }));
    assert.equal(await logs('reader'), 'hello from a configMap\n');
    assert.equal(await logs('secret'), 's3cret\n');
    assert.equal(await logs('writer'), 'wrote /scratch/out.txt\n');
    assert.match(await logs('readonly'), /write \/config\/new.txt failed: Read-only file system/);
    assert.equal(readFileSync(join(env.home, 'wasm-pods', status.uid, 'volumes', 'scratch', 'out.txt'), 'utf8'), 'written by wasm');
    assert.equal(existsSync(join(env.home, 'wasm-pods', status.uid, 'volumes', 'config', 'new.txt')), false);
    assert.equal(
      await logs('entry'),
      ['argv[0]=/app/tool.wasm', 'argv[1]=echo', 'argv[2]=two words', 'argv[3]=from-the-pod', 'GREETING=from-the-pod', 'this goes to stderr', ''].join('\n'),
    );
    // The file is the CRI format native containers write: stdout and stderr records, full lines.
    const raw = readFileSync(join(env.home, 'wasm-pods', status.uid, 'sandbox', 'logs', 'entry', '0.log'), 'utf8');
    assert.match(raw, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z stdout F argv\[0\]=\/app\/tool\.wasm$/m);
    assert.match(raw, /^\S+ stderr F this goes to stderr$/m);
    assert.match(await text(await env.runtime.logs({ pod: 'trio', container: 'server', timestamps: true })), /^\S+Z serving\n$/);

    await assert.rejects(env.runtime.exec({ pod: 'trio', command: ['sh'], tty: false, stdin: false }), (e: PodError) => e.code === 'NOT_SUPPORTED' && /WASI preview 1/.test(e.message));
    assert.deepEqual((await env.runtime.listPods()).map((p) => p.name), ['trio']);
    await env.runtime.deletePod({ pod: 'trio', force: true });
    await assert.rejects(env.runtime.podStatus('trio'), (e: PodError) => e.code === 'NOT_FOUND');
  });

  it('turns exit codes into terminated states and ends a pod whose work is done', async () => {
    const ended = nextEvent(env.runtime, (e) => e.type === 'pod' && e.pod === 'codes' && e.phase === 'Failed');
    const status = await env.runtime.runPod({
      manifest: wasmPod('codes', {
        restartPolicy: 'Never',
        containers: [
          { name: 'wat', image: IMAGES.hello },
          { name: 'three', image: IMAGES.tool, command: ['tool.wasm', 'exit', '3'] },
        ],
      }),
    });
    await ended;
    const after = await env.runtime.podStatus('codes');
    assert.equal(after.phase, 'Failed');
    assert.deepEqual(container(after, 'three').state.terminated && { code: container(after, 'three').state.terminated!.exitCode, reason: container(after, 'three').state.terminated!.reason }, { code: 3, reason: 'Error' });
    assert.equal(container(after, 'wat').state.terminated?.exitCode, 0);
    assert.equal(container(after, 'wat').state.terminated?.reason, 'Completed');
    assert.equal(container(after, 'wat').restartCount, 0);
    assert.equal(await text(await env.runtime.logs({ pod: 'codes', container: 'wat' })), 'hello from wat\n');
    assert.equal(after.conditions.find((c) => c.type === 'Ready')?.status, 'False');
    // Nothing is left running once the pod is over: its supervisor has left.
    await until('the supervisor to leave', () => wasmLeaks(env.home).every((l) => !l.startsWith('process')));
    assert.equal(status.uid, after.uid);
  });

  it('stops within the grace period: a module that ends by itself keeps its exit, the rest are terminated', async () => {
    const status = await env.runtime.runPod({
      manifest: wasmPod('graceful', {
        terminationGracePeriodSeconds: 30,
        volumes: [{ name: 'scratch', emptyDir: {} }],
        containers: [
          { name: 'stubborn', image: IMAGES.tool, command: ['tool.wasm', 'serve'] },
          { name: 'quick', image: IMAGES.tool, command: ['tool.wasm', 'wait', '/scratch/go'], volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }] },
        ],
      }),
    });
    writeFileSync(join(env.home, 'wasm-pods', status.uid, 'volumes', 'scratch', 'go'), '0');
    const began = Date.now();
    const stopped = await env.runtime.stopPod({ pod: 'graceful', gracePeriodSeconds: 1 });
    // The grace period is behaviour, not speed: the stubborn module must get it (a slow machine only adds to
    // this). That it is then ended shows in its exit code 137 below; the 30 s of the manifest are not waited.
    assert.ok(Date.now() - began >= 900, 'the stubborn module got its 1 s grace period');
    assert.equal(stopped.reason, 'Stopped');
    assert.equal(stopped.phase, 'Failed');
    const stubborn = container(stopped, 'stubborn').state.terminated!;
    assert.equal(stubborn.exitCode, 137);
    assert.match(stubborn.message ?? '', /grace period/);
    assert.equal(container(stopped, 'quick').state.terminated?.exitCode, 0);
    assert.equal(container(stopped, 'quick').state.terminated?.reason, 'Completed');
    // Stopped pods keep their status and logs until deleted; nothing runs any more.
    assert.ok(wasmLeaks(env.home).every((l) => !l.startsWith('process')));
    assert.equal(await text(await env.runtime.logs({ pod: 'graceful', container: 'stubborn' })), 'serving\n');
    assert.equal((await env.runtime.stopPod({ pod: 'graceful' })).phase, 'Failed', 'stopping again is a no-op');
    await env.runtime.deletePod({ pod: 'graceful' });
    assert.deepEqual(await env.runtime.listPods(), []);
  });

  it('shares pod names with the other runtimes and answers NOT_FOUND for their pods', async () => {
    // A pod of the native runtime as it sits on disk: pods/<uid>/pod.json and the shared name link.
    const uid = randomUUID();
    mkdirSync(join(env.home, 'pods', uid), { recursive: true });
    writeFileSync(join(env.home, 'pods', uid, 'pod.json'), JSON.stringify({ version: 1, uid, name: 'native-one', namespace: 'default' }));
    mkdirSync(join(env.home, 'pod-names'), { recursive: true });
    symlinkSync(uid, join(env.home, 'pod-names', 'default_native-one'));
    try {
      await assert.rejects(env.runtime.podStatus('native-one'), (e: PodError) => e.code === 'NOT_FOUND');
      await assert.rejects(env.runtime.exec({ pod: 'native-one', command: ['true'], tty: false, stdin: false }), (e: PodError) => e.code === 'NOT_FOUND');
      await assert.rejects(env.runtime.logs({ pod: 'native-one' }), (e: PodError) => e.code === 'NOT_FOUND');
      await assert.rejects(env.runtime.deletePod({ pod: 'native-one' }), (e: PodError) => e.code === 'NOT_FOUND');
      await assert.rejects(env.runtime.runPod({ manifest: wasmPod('native-one', { containers: [{ name: 'a', image: IMAGES.hello }] }) }), (e: PodError) => e.code === 'ALREADY_EXISTS' && e.message.includes(uid));
    } finally {
      rmSync(join(env.home, 'pods'), { recursive: true, force: true });
      rmSync(join(env.home, 'pod-names', 'default_native-one'), { force: true });
    }
    await env.runtime.runPod({ manifest: wasmPod('twice', { containers: [{ name: 'a', image: IMAGES.tool, command: ['tool.wasm', 'serve'] }] }) });
    await assert.rejects(env.runtime.runPod({ manifest: wasmPod('twice', { containers: [{ name: 'a', image: IMAGES.hello }] }) }), (e: PodError) => e.code === 'ALREADY_EXISTS');
    assert.ok(container(await env.runtime.podStatus('default/twice'), 'a').state.running);
  });

  it('refuses at admission what WASI preview 1 cannot do, creating nothing', async () => {
    const exec = wasmPod('probed', { containers: [{ name: 'a', image: IMAGES.hello, livenessProbe: { exec: { command: ['true'] } } }] });
    await assert.rejects(env.runtime.runPod({ manifest: exec, fileName: 'probed.yaml' }), (e: PodError) => {
      assert.equal(e.code, 'NOT_SUPPORTED');
      assert.match(e.message, /^probed\.yaml:\d+:\d+: The livenessProbe of container "a" runs a command.*\[wasm-exec\]/);
      return true;
    });
    const http = wasmPod('hooked', { containers: [{ name: 'a', image: IMAGES.hello, lifecycle: { preStop: { httpGet: { port: 80 } } } }] });
    await assert.rejects(env.runtime.runPod({ manifest: http }), (e: PodError) => e.code === 'NOT_SUPPORTED' && /preStop hook .* httpGet/.test(e.message));
    const native = wasmPod('plain', { runtimeClassName: 'pod-containers', containers: [{ name: 'a', image: IMAGES.hello }] });
    await assert.rejects(env.runtime.runPod({ manifest: native }), (e: PodError) => e.code === 'INVALID' && /does not serve/.test(e.message));
    const fuel = wasmPod('fuelled', { containers: [{ name: 'a', image: IMAGES.hello }] }, [], { 'podsmith.io/wasm-fuel': 'lots' });
    await assert.rejects(env.runtime.runPod({ manifest: fuel }), (e: PodError) => e.code === 'INVALID' && /wasm-fuel/.test(e.message));
    const notWasm = wasmPod('notwasm', { containers: [{ name: 'a', image: IMAGES.toolEntry, command: ['/bin/sh'] }] });
    await assert.rejects(env.runtime.runPod({ manifest: notWasm }), (e: PodError) => e.code === 'IMAGE' && /container "a".*not a WebAssembly module/.test(e.message));
    assert.deepEqual(await env.runtime.listPods(), []);
  });
});

export type { PodEvent };
