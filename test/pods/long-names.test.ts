// The longest names the validator accepts run: a 63-character namespace with a 253-character pod name (which
// once failed with ENAMETOOLONG in the name index), 63-character container and volume names. Everything
// derived from names (the name index, conmon's name, hostname, bundle, log and volume paths) copes, and
// links of the old flat index (`pod-names/<namespace>_<name>`) are still honoured and released.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readlinkSync, renameSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { PodError } from '../../engine/pods/types';
import { IMAGES, wasmTestEnv, whyNoWasm, type WasmTestEnv } from '../wasm/fixtures';
import { container, IMAGE, podTestEnv, text, until, whyNoNativePods, type PodTestEnv } from './fixtures';

const skip = whyNoNativePods();

const NAMESPACE = 'n'.repeat(62) + '1';
// An RFC 1123 subdomain of 253 characters: four labels.
const NAME = ['a'.repeat(63), 'b'.repeat(63), 'c'.repeat(63), 'd'.repeat(61)].join('.');
const CONTAINER = 'c'.repeat(62) + '2';
const INIT = 'i'.repeat(62) + '3';
const VOLUME = 'v'.repeat(62) + '4';

function manifest(name: string, namespace?: string, spec?: Record<string, unknown>): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, ...(namespace ? { namespace } : {}) },
    spec: spec ?? { containers: [{ name: 'a', image: IMAGE, command: ['sleep', '1000'] }] },
  });
}

describe('long names', { skip }, () => {
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

  it('runs, execs, logs, stops and deletes a pod with the longest namespace, name, container and volume names', async () => {
    assert.equal(NAME.length, 253);
    const ref = `${NAMESPACE}/${NAME}`;
    const status = await env.runtime.runPod({
      manifest: manifest(NAME, NAMESPACE, {
        volumes: [{ name: VOLUME, emptyDir: {} }],
        initContainers: [{ name: INIT, image: IMAGE, command: ['sh', '-c', 'echo init > /data/init'], volumeMounts: [{ name: VOLUME, mountPath: '/data' }] }],
        containers: [{ name: CONTAINER, image: IMAGE, command: ['sh', '-c', 'cat /data/init; hostname; sleep 1000'], volumeMounts: [{ name: VOLUME, mountPath: '/data' }] }],
      }),
    });
    assert.equal(status.phase, 'Running');
    assert.equal(status.name, NAME);
    assert.equal(status.namespace, NAMESPACE);
    // The name index holds it under the namespace's folder.
    assert.equal(readlinkSync(join(env.home, 'pod-names', NAMESPACE, NAME)), status.uid);
    // The hostname is cut to 63 characters as the kubelet cuts it (a trailing dot dropped).
    assert.equal(status.hostname, 'a'.repeat(63));

    const exec = await env.runtime.exec({ pod: ref, container: CONTAINER, command: ['cat', '/data/init'], tty: false, stdin: false });
    assert.equal(await text(exec.stdout), 'init\n');
    assert.equal(await exec.exit, 0);
    const logs = await until('the hostname in the log', async () => {
      const t = await text(await env.runtime.logs({ pod: ref, container: CONTAINER }));
      return t.includes('a'.repeat(63)) && t;
    });
    assert.equal(logs, `init\n${'a'.repeat(63)}\n`);

    const stopped = await env.runtime.stopPod({ pod: ref, gracePeriodSeconds: 0 });
    assert.equal(container(stopped, CONTAINER).state.terminated?.exitCode, 137);
    await env.runtime.deletePod({ pod: ref });
    assert.equal(existsSync(join(env.home, 'pod-names', NAMESPACE, NAME)), false);
    // The same name runs again.
    const again = await env.runtime.runPod({ manifest: manifest(NAME, NAMESPACE) });
    await env.runtime.deletePod({ pod: again.uid, force: true });
  });

  it('honours links of the old flat name index: lookup, taken names, release, and dead links taken over', async () => {
    const old = await env.runtime.runPod({ manifest: manifest('legacy') });
    // As an earlier version left it: pod-names/default_legacy.
    const names = join(env.home, 'pod-names');
    renameSync(join(names, 'default', 'legacy'), join(names, 'default_legacy'));
    assert.equal((await env.runtime.podStatus('legacy')).uid, old.uid);
    await assert.rejects(env.runtime.runPod({ manifest: manifest('legacy') }), (e: PodError) => e.code === 'ALREADY_EXISTS' && e.message.includes(old.uid));
    await env.runtime.deletePod({ pod: 'legacy', force: true });
    assert.equal(existsSync(join(names, 'default_legacy')), false, 'released');

    // A link whose pod is gone (a crash mid-delete of an older version) does not hold the name.
    mkdirSync(names, { recursive: true });
    symlinkSync(randomUUID(), join(names, 'default_ghost'));
    const ghost = await env.runtime.runPod({ manifest: manifest('ghost') });
    assert.equal(existsSync(join(names, 'default_ghost')), false);
    assert.equal(readlinkSync(join(names, 'default', 'ghost')), ghost.uid);
    await env.runtime.deletePod({ pod: 'ghost', force: true });
  });
});

describe('long names in pod-wasm', { skip: whyNoWasm() }, () => {
  let env: WasmTestEnv;
  before(async () => {
    env = await wasmTestEnv();
  });
  after(async () => {
    await env?.dispose();
  });

  it('runs and deletes a wasm pod with the longest namespace, name and container name', async () => {
    const ref = `${NAMESPACE}/${NAME}`;
    const status = await env.runtime.runPod({
      manifest: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: NAME, namespace: NAMESPACE },
        spec: { runtimeClassName: 'pod-wasm', containers: [{ name: CONTAINER, image: IMAGES.tool, command: ['tool.wasm', 'serve'] }] },
      }),
    });
    assert.equal(status.name, NAME);
    assert.equal(readlinkSync(join(env.home, 'pod-names', NAMESPACE, NAME)), status.uid);
    assert.ok(container(await env.runtime.podStatus(ref), CONTAINER).state.running);
    await env.runtime.deletePod({ pod: ref, force: true });
    assert.deepEqual(await env.cleanup(), []);
  });
});
