// The editor's engine plumbing that needs no editor: pod references from command arguments, the Node that runs
// the daemon (never an Electron runtime), and how pods and containers read in the tree and CodeLens.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { refOf } from '../../client/engine/access';
import { findNode, NoNodeError } from '../../client/engine/node-binary';
import { engineEnv } from '../../client/engine/engine-env';
import { containerDescription, podSummary, podTone } from '../../client/tree/pod-text';
import type { ContainerStatus, PodStatus } from '../../engine/pods/types';

describe('refOf', () => {
  it('takes plain references and objects carrying one, and nothing else', () => {
    assert.deepEqual(refOf({ pod: 'web' }), { host: 'local', pod: 'web' });
    assert.deepEqual(refOf({ host: 'h', pod: 'web', container: 'c' }), { host: 'h', pod: 'web', container: 'c' });
    assert.deepEqual(refOf({ podRef: { host: 'local', pod: 'web', container: 'c' }, other: 1 }), { host: 'local', pod: 'web', container: 'c' });
    for (const bad of [undefined, null, 'web', 3, {}, { pod: '' }, { pod: 3 }, { pod: 'p', host: '' }, { pod: 'p', container: 5 }]) assert.equal(refOf(bad), undefined, JSON.stringify(bad));
  });
});

describe('findNode', () => {
  let dir: string;
  const fake = (name: string, answer: string): string => {
    const d = join(dir, name);
    rmSync(d, { recursive: true, force: true });
    const bin = join(d, 'node');
    mkdirSync(d);
    writeFileSync(bin, `#!/bin/sh\necho '${answer}'\n`);
    chmodSync(bin, 0o755);
    return d;
  };
  before(() => (dir = mkdtempSync(join(tmpdir(), 'podsmith-node-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const host = { execPath: '/editor/bin/code', versions: { node: '20.18.0', electron: '32.2.0' } };

  it('prefers the setting, then node on PATH, and refuses Electron and old Nodes', async () => {
    const real = await findNode({ setting: process.execPath, env: process.env, ...host });
    assert.deepEqual([real.path, real.source], [process.execPath, 'setting']);
    await assert.rejects(findNode({ setting: 'node', env: process.env, ...host }), /must be an absolute path/);
    await assert.rejects(findNode({ setting: '/bin/false', env: process.env, ...host }), (e: Error) => e instanceof NoNodeError && /\/bin\/false does not run as Node/.test(e.message));
    const electron = fake('electron', '["20.18.0","32.2.0"]');
    await assert.rejects(findNode({ setting: '', env: { PATH: electron }, ...host }), /is an Electron runtime \(32\.2\.0\), not Node.*cannot host the daemon/);
    const old = fake('old', '["18.20.0",""]');
    await assert.rejects(findNode({ setting: '', env: { PATH: old }, ...host }), /is Node 18\.20\.0; the engine needs Node 20 or later/);
    const good = fake('good', '["22.1.0",""]');
    // The first node on PATH is the one a shell would run: an old one there is not skipped silently.
    await assert.rejects(findNode({ setting: '', env: { PATH: `${old}:${good}` }, ...host }), /Node 18\.20\.0/);
    assert.deepEqual(await findNode({ setting: '', env: { PATH: good }, ...host }), { path: join(good, 'node'), version: '22.1.0', source: 'PATH' });
  });

  it('falls back to the extension host\'s own binary only when it is a real Node', async () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty, { recursive: true });
    const server = await findNode({ setting: '', env: { PATH: empty }, execPath: '/srv/code-server/node', versions: { node: '24.21.0' } });
    assert.deepEqual(server, { path: '/srv/code-server/node', version: '24.21.0', source: 'extension host' });
    await assert.rejects(findNode({ setting: '', env: { PATH: empty }, ...host }), /no node on PATH; the editor runs extensions on Electron/);
  });
});

describe('engineEnv', () => {
  it('drops what belongs to the editor process', () => {
    assert.deepEqual(engineEnv({ PATH: '/bin', VSCODE_IPC_HOOK: 'x', ELECTRON_RUN_AS_NODE: '1', NODE_OPTIONS: '--inspect', HOME: '/root' }), { PATH: '/bin', HOME: '/root' });
  });
});

describe('pod text', () => {
  const container = (over: Partial<ContainerStatus>): ContainerStatus => ({
    name: 'c', image: 'i', imageID: 'sha256:x', containerID: 'podsmith://x', state: {}, lastState: {}, ready: false, started: false, restartCount: 0, ...over,
  });
  const pod = (containers: ContainerStatus[], phase: PodStatus['phase'] = 'Running', ready = false): PodStatus => ({
    uid: 'u', name: 'p', namespace: 'default', runtimeClassName: 'pod-containers', phase, hostname: 'p',
    conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: '' }],
    initContainerStatuses: [], containerStatuses: containers,
  });

  it('reads a pod as kubectl\'s STATUS and READY, with a tone for the icon', () => {
    const running = container({ state: { running: { startedAt: 't' } }, ready: true, started: true });
    assert.equal(podSummary(pod([running, running], 'Running', true)), 'Running 2/2');
    assert.equal(podTone(pod([running], 'Running', true)), 'ok');
    const crashing = container({ state: { waiting: { reason: 'CrashLoopBackOff' } }, restartCount: 4 });
    assert.equal(podSummary(pod([running, crashing])), 'CrashLoopBackOff 1/2');
    assert.equal(podTone(pod([running, crashing])), 'warn');
    const done = container({ state: { terminated: { exitCode: 0, reason: 'Completed', finishedAt: 't' } } });
    assert.equal(podSummary(pod([done], 'Succeeded')), 'Completed 0/1');
    assert.equal(podTone(pod([done], 'Succeeded')), 'done');
  });

  it('reads a container as its state, restarts, last exit code and reason', () => {
    const oom = container({
      state: { waiting: { reason: 'CrashLoopBackOff' } },
      lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', finishedAt: 't' } },
      restartCount: 3,
    });
    assert.equal(containerDescription(oom, false), 'CrashLoopBackOff · 3 restarts · last: OOMKilled (exit 137)');
    assert.equal(containerDescription(container({ state: { terminated: { exitCode: 0, reason: 'Completed', finishedAt: 't' } } }), true), 'init · Completed (exit 0)');
    assert.equal(containerDescription(container({ state: { running: { startedAt: 't' } }, restartCount: 1 }), false), 'running (not ready) · 1 restart');
  });
});
