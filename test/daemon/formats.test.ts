// How pod state reads in `ps`, `describe` and `events`: kubectl's rules, on statuses the test runtime never makes.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventHub } from '../../engine/daemon/event-hub';
import { humanDuration, parseDuration } from '../../engine/cli/format/duration';
import { describePod } from '../../engine/cli/format/pod-describe';
import { podStatusText, restartsText } from '../../engine/cli/format/pod-table';
import type { ContainerStatus, PodEvent, PodStatus } from '../../engine/pods/types';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const iso = (ms: number): string => new Date(ms).toISOString();

function ctr(name: string, state: ContainerStatus['state'], extra: Partial<ContainerStatus> = {}): ContainerStatus {
  return { name, image: 'busybox', imageID: 'sha256:x', containerID: `podsmith://${name}`, state, lastState: {}, ready: false, started: false, restartCount: 0, ...extra };
}

function pod(over: Partial<PodStatus>): PodStatus {
  return {
    uid: 'u1',
    name: 'p',
    namespace: 'default',
    runtimeClassName: 'pod-containers',
    phase: 'Running',
    conditions: [],
    hostname: 'p',
    initContainerStatuses: [],
    containerStatuses: [],
    ...over,
  };
}

describe('ps STATUS column', () => {
  it('shows init progress, init failures and the waiting or terminated reason of app containers', () => {
    const init0 = ctr('init', { running: { startedAt: iso(T0) } });
    assert.equal(podStatusText(pod({ phase: 'Pending', initContainerStatuses: [init0, ctr('i2', { waiting: { reason: 'PodInitializing' } })] })), 'Init:0/2');
    const failed = ctr('init', { terminated: { exitCode: 3, reason: 'Error', finishedAt: iso(T0) } });
    assert.equal(podStatusText(pod({ phase: 'Failed', initContainerStatuses: [failed] })), 'Init:Error');
    const sidecar = ctr('log', { running: { startedAt: iso(T0) } }, { started: true });
    const app = ctr('app', { waiting: { reason: 'CrashLoopBackOff' } }, { restartCount: 4 });
    assert.equal(podStatusText(pod({ initContainerStatuses: [sidecar], containerStatuses: [app] })), 'CrashLoopBackOff');
    const oom = ctr('app', { terminated: { exitCode: 137, reason: 'OOMKilled', finishedAt: iso(T0) } });
    assert.equal(podStatusText(pod({ phase: 'Failed', containerStatuses: [oom] })), 'OOMKilled');
    const signalled = ctr('app', { terminated: { exitCode: 143, signal: 15, reason: '', finishedAt: iso(T0) } });
    assert.equal(podStatusText(pod({ phase: 'Failed', containerStatuses: [signalled] })), 'Signal:15');
  });

  it('says Running for a completed container next to a ready running one, NotReady when the pod is not ready', () => {
    const done = ctr('job', { terminated: { exitCode: 0, reason: 'Completed', finishedAt: iso(T0) } });
    const web = ctr('web', { running: { startedAt: iso(T0) } }, { ready: true });
    const ready = [{ type: 'Ready' as const, status: 'True' as const, lastTransitionTime: iso(T0) }];
    assert.equal(podStatusText(pod({ containerStatuses: [web, done], conditions: ready })), 'Running');
    assert.equal(podStatusText(pod({ containerStatuses: [web, done] })), 'NotReady');
  });

  it('counts restarts with the age of the last one', () => {
    const app = ctr('app', { running: { startedAt: iso(T0) } }, { restartCount: 3, lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: iso(T0 - 120_000) } } });
    assert.equal(restartsText(pod({ containerStatuses: [app] }), T0), '3 (2m ago)');
    assert.equal(restartsText(pod({ containerStatuses: [ctr('a', {})] }), T0), '0');
  });
});

describe('durations', () => {
  it('print like kubectl and parse like Go', () => {
    assert.deepEqual([5e3, 125e3, 610e3, 3 * 3600e3 + 60e3, 26 * 3600e3, 3 * 86400e3 + 3600e3].map(humanDuration), ['5s', '2m5s', '10m', '3h1m', '26h', '3d1h']);
    assert.equal(parseDuration('5m'), 300);
    assert.equal(parseDuration('1h30m'), 5400);
    assert.equal(parseDuration('250ms'), 1);
    assert.equal(parseDuration('5'), undefined);
    assert.equal(parseDuration('5m junk'), undefined);
    assert.equal(parseDuration(''), undefined);
  });
});

describe('describe', () => {
  it('shows terminated and last states, exit codes, conditions and events', () => {
    const app = ctr(
      'app',
      { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container' } },
      { restartCount: 2, lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', startedAt: iso(T0 - 5000), finishedAt: iso(T0 - 1000) } } },
    );
    const events: PodEvent[] = [{ type: 'container', time: iso(T0 - 1000), pod: 'p', uid: 'u1', container: 'app', state: 'terminated', exitCode: 137, reason: 'OOMKilled' }];
    const text = describePod(pod({ ociRuntime: 'runc', containerStatuses: [app], conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: iso(T0) }] }), events, T0);
    assert.match(text, /^OCI Runtime:\s+runc$/m);
    assert.match(text, /^ {4}State:\s+Waiting\n {6}Reason:\s+CrashLoopBackOff\n {6}Message:\s+back-off 40s/m);
    assert.match(text, /^ {4}Last State:\s+Terminated\n {6}Reason:\s+OOMKilled\n {6}Exit Code:\s+137$/m);
    assert.match(text, /^ {4}Restart Count:\s+2$/m);
    assert.match(text, /^ {2}Ready\s+False$/m);
    assert.match(text, /Warning\s+OOMKilled\s+1s\s+podsmith\s+Container app exited with code 137/);
  });
});

describe('event history', () => {
  it('keeps milestones across restarts, bounded, and drops byte counts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'psd-hub-'));
    try {
      const file = join(dir, 'events.jsonl');
      const quiet = { info() {}, warn() {}, error() {} };
      const hub = new EventHub(file, quiet, 5);
      for (let i = 0; i < 12; i++) hub.publish({ type: 'pod', time: iso(T0 + i), pod: `p${i}`, uid: `u${i}`, phase: 'Running' });
      hub.publish({ type: 'pull', time: iso(T0), image: 'busybox', progress: { type: 'blob-progress', digest: 'sha256:a', bytes: 1, size: 2 } });
      assert.ok(readFileSync(file, 'utf8').trimEnd().split('\n').length <= 10, 'compacted on disk');
      writeFileSync(file, readFileSync(file, 'utf8') + '{"cut by a cra');
      const again = new EventHub(file, quiet, 5);
      again.load();
      assert.deepEqual(
        again.list().map((e) => e.pod),
        ['p7', 'p8', 'p9', 'p10', 'p11'],
      );
      assert.deepEqual(again.list('p9').length, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
