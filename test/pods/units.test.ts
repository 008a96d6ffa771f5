// Pure parts of the native runtime: the crash-loop back-off schedule, pod cgroup limits, emptyDir sizes and
// limits, the pod phase and conditions from container states, grace period clamping, and admission (findings,
// limits, ConfigMaps and Secrets from the file and the folder).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { totalmem } from 'node:os';
import { admitPod } from '../../engine/pods/native/admit';
import { requestedPod } from '../../engine/pods/router';

const requestedRuntimeClass = (req: Parameters<typeof requestedPod>[0]) => requestedPod(req).runtimeClass;
import { restartDelay } from '../../engine/pods/native/backoff';
import { podLimits } from '../../engine/pods/native/run-pod';
import { PodPaths } from '../../engine/pods/native/paths';
import { graceSeconds } from '../../engine/pods/native/spec-of';
import { diskEmptyDirLimits, evictionMessage } from '../../engine/pods/native/volume-usage';
import { DEFAULT_MEMORY_EMPTYDIR_BYTES, memoryEmptyDirBytes } from '../../engine/pods/native/volumes';
import type { ContainerRecord, PodRecord } from '../../engine/pods/native/state';
import { podPhase, refreshConditions, toPodStatus } from '../../engine/pods/native/status';
import { PodError } from '../../engine/pods/types';
import { podManifest } from './fixtures';

const t0 = new Date('2026-01-01T00:00:00Z');
const at = (s: number) => new Date(t0.getTime() + s * 1000);

describe('crash-loop back-off', () => {
  it('restarts at once, then waits 10 s, 20 s, 40 s ... up to 5 minutes', () => {
    const delays: number[] = [];
    let state;
    for (let i = 0; i < 9; i++) {
      const r = restartDelay(state, at(i * 30));
      delays.push(r.delaySeconds);
      state = r.state;
    }
    assert.deepEqual(delays, [0, 10, 20, 40, 80, 160, 300, 300, 300]);
  });

  it('starts over when exits are more than 10 minutes apart', () => {
    let r = restartDelay(undefined, at(0));
    r = restartDelay(r.state, at(5));
    assert.equal(r.delaySeconds, 10);
    r = restartDelay(r.state, at(5 + 601));
    assert.equal(r.delaySeconds, 0);
    assert.equal(restartDelay(r.state, at(5 + 602)).delaySeconds, 10);
  });
});

function record(containers: Partial<ContainerRecord>[], extra: Partial<PodRecord> = {}): PodRecord {
  return {
    version: 1,
    uid: 'u',
    name: 'p',
    namespace: 'default',
    createdAt: t0.toISOString(),
    lifecycle: 'running',
    ociRuntime: { name: 'runc', path: '/usr/sbin/runc', version: '' },
    hostname: 'p',
    pod: { metadata: { name: 'p' }, spec: { containers: [] } },
    containers: containers.map((c) => ({ name: 'c', kind: 'app', image: 'i', restartCount: 0, state: {}, lastState: {}, ready: false, started: false, stopSignal: 'SIGTERM', ...c })),
    conditions: [],
    warnings: [],
    ...extra,
  } as PodRecord;
}

const running = { running: { startedAt: t0.toISOString() } };
const exited = (exitCode: number) => ({ terminated: { exitCode, reason: exitCode ? 'Error' : 'Completed', finishedAt: t0.toISOString() } });

describe('pod phase and conditions', () => {
  it('follows the kubelet: Pending, Running, Succeeded, Failed', () => {
    assert.equal(podPhase(record([{ state: running }], { lifecycle: 'creating' })), 'Pending');
    assert.equal(podPhase(record([{ state: running }, { state: exited(1) }])), 'Running');
    assert.equal(podPhase(record([{ kind: 'init', state: exited(1) }, { state: {} }])), 'Pending');
    const never = { pod: { metadata: { name: 'p' }, spec: { containers: [], restartPolicy: 'Never' as const } } };
    assert.equal(podPhase(record([{ state: exited(0) }, { state: exited(0) }], never)), 'Succeeded');
    assert.equal(podPhase(record([{ state: exited(0) }, { state: exited(2) }], never)), 'Failed');
    // Always: all exited still means Running (they are being restarted); a stopped pod is judged as Never.
    assert.equal(podPhase(record([{ state: exited(2) }])), 'Running');
    assert.equal(podPhase(record([{ state: exited(143) }], { lifecycle: 'stopped' })), 'Failed');
    assert.equal(podPhase(record([{ state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: exited(1) }])), 'Running');
  });

  it('keeps a condition\'s transition time until its status changes', () => {
    const r = record([{ state: running, ready: false }], { pause: { id: 'x', socketId: 'x', pid: 1, conmonPid: 1 } });
    refreshConditions(r, '2026-01-01T00:00:01Z');
    refreshConditions(r, '2026-01-01T00:00:02Z');
    const ready = r.conditions.find((c) => c.type === 'Ready')!;
    assert.equal(ready.status, 'False');
    assert.equal(ready.lastTransitionTime, '2026-01-01T00:00:01Z');
    assert.equal(ready.message, 'containers with unready status: [c]');
    r.containers[0].ready = true;
    refreshConditions(r, '2026-01-01T00:00:03Z');
    assert.equal(ready.status, 'True');
    assert.equal(ready.lastTransitionTime, '2026-01-01T00:00:03Z');
    const status = toPodStatus(r);
    assert.deepEqual(status.conditions.map((c) => `${c.type}=${c.status}`), ['PodScheduled=True', 'PodReadyToStartContainers=True', 'Initialized=True', 'ContainersReady=True', 'Ready=True']);
  });
});

describe('pod cgroup limits', () => {
  const c = (name: string, limits?: Record<string, string>, restartPolicy?: 'Always') => ({ name, image: 'i', ...(limits ? { resources: { limits } } : {}), ...(restartPolicy ? { restartPolicy } : {}) });
  it('caps memory and cpu only when every container has a limit', () => {
    const pod = { metadata: { name: 'p' }, spec: { initContainers: [c('init', { memory: '512Mi', cpu: '2' })], containers: [c('a', { memory: '64Mi', cpu: '250m' }), c('b', { memory: '64Mi', cpu: '250m' })] } };
    assert.deepEqual(podLimits(pod, 4096), { memoryBytes: 512 * 1024 * 1024, cpuQuotaUs: 200_000, cpuPeriodUs: 100_000, pids: 4096 });
    const partial = { metadata: { name: 'p' }, spec: { containers: [c('a', { memory: '64Mi' }), c('b')] } };
    assert.deepEqual(podLimits(partial, 0), {});
    const sidecar = { metadata: { name: 'p' }, spec: { initContainers: [c('side', { memory: '32Mi' }, 'Always')], containers: [c('a', { memory: '64Mi' })] } };
    assert.equal(podLimits(sidecar, 0).memoryBytes, 96 * 1024 * 1024);
  });

  it('sizes a memory-backed emptyDir at min(sizeLimit, pod memory limit, engine default); a zero sizeLimit is none', () => {
    const fallback = Math.min(DEFAULT_MEMORY_EMPTYDIR_BYTES, Math.floor(totalmem() / 2));
    const ram = (sizeLimit?: string) => ({ name: 'r', emptyDir: { medium: 'Memory' as const, ...(sizeLimit ? { sizeLimit } : {}) } });
    const limited = { metadata: { name: 'p' }, spec: { containers: [c('a', { memory: '64Mi' }), c('b', { memory: '64Mi' })] } };
    const partial = { metadata: { name: 'p' }, spec: { containers: [c('a', { memory: '64Mi' }), c('b')] } };
    assert.equal(memoryEmptyDirBytes(ram(), limited), 128 * 1024 * 1024);
    assert.equal(memoryEmptyDirBytes(ram('16Mi'), limited), 16 * 1024 * 1024);
    assert.equal(memoryEmptyDirBytes(ram('1Gi'), limited), 128 * 1024 * 1024);
    assert.equal(memoryEmptyDirBytes(ram(), partial), fallback, 'a pod limit needs every container to have one');
    assert.equal(memoryEmptyDirBytes(ram('0'), partial), fallback);
    assert.equal(memoryEmptyDirBytes(ram('100Gi'), partial), fallback);
  });

  it('measures only disk emptyDirs with a positive sizeLimit, and words the eviction as the kubelet does', () => {
    const pod = {
      metadata: { name: 'p' },
      spec: {
        containers: [c('a')],
        volumes: [
          { name: 'disk', emptyDir: { sizeLimit: '1Mi' } },
          { name: 'ram', emptyDir: { medium: 'Memory' as const, sizeLimit: '1Mi' } },
          { name: 'unlimited', emptyDir: {} },
          { name: 'zero', emptyDir: { sizeLimit: 0 } },
        ],
      },
    };
    const paths = new PodPaths('/h', 'u');
    const limits = diskEmptyDirLimits(pod, paths);
    assert.deepEqual(limits, [{ volume: 'disk', dir: paths.volume('disk'), bytes: 1024 * 1024, written: '1Mi' }]);
    assert.equal(evictionMessage(limits[0]), 'Usage of EmptyDir volume "disk" exceeds the limit "1Mi".');
  });

  it('clamps the grace period to 0..300 s, defaulting to the pod\'s or 30', () => {
    const r = record([]);
    assert.equal(graceSeconds(r), 30);
    assert.equal(graceSeconds(r, 1000), 300);
    assert.equal(graceSeconds(r, -5), 0);
    r.pod.spec.terminationGracePeriodSeconds = 7;
    assert.equal(graceSeconds(r), 7);
    assert.equal(graceSeconds(r, 2), 2);
  });
});

describe('admission', () => {
  it('collects ConfigMaps and Secrets of the pod\'s namespace from the file and the folder', () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' }, data: { k: 'from-file' } };
    const other = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b', namespace: 'elsewhere' }, data: { k: 'x' } };
    const manifest = podManifest('p', { containers: [{ name: 'c', image: 'busybox:1' }] }, [cm, other]);
    const secret = JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { pw: Buffer.from('pw!').toString('base64') } });
    const dup = JSON.stringify({ ...cm, data: { k: 'from-folder' } });
    const admitted = admitPod({ manifest, fileName: 'p.yaml', extraManifests: [{ fileName: 's.yaml', text: secret }, { fileName: 'dup.yaml', text: dup }] });
    assert.equal(admitted.namespace, 'default');
    assert.deepEqual(Object.keys(admitted.configMaps), ['a']);
    assert.equal(admitted.configMaps.a.text.k, 'from-file', 'the pod\'s own file wins');
    assert.equal(admitted.secrets.s.text.pw, 'pw!');
  });

  it('names the pod to run in a multi-pod file, and refuses other runtime classes', () => {
    const two = [podManifest('one', { containers: [{ name: 'c', image: 'busybox:1' }] }), podManifest('two', { containers: [{ name: 'c', image: 'busybox:1' }] })].join('---\n');
    assert.equal(admitPod({ manifest: two, podName: 'two' }).pod.metadata.name, 'two');
    assert.throws(() => admitPod({ manifest: two, podName: 'three' }), (e: PodError) => e.code === 'INVALID' && /no Pod or workload named "three"/.test(e.message));
    const wasm = podManifest('w', { runtimeClassName: 'pod-wasm', containers: [{ name: 'c', image: 'busybox:1' }] });
    assert.throws(() => admitPod({ manifest: wasm }), (e: PodError) => e.code === 'INVALID' && /pod-wasm/.test(e.message));
  });

  it('runs a workload\'s pod template as one pod named after the workload, for every workload kind', () => {
    const template = {
      metadata: { name: 'ignored', labels: { app: 'web' }, annotations: { note: 'from the template' } },
      spec: { restartPolicy: 'Always', containers: [{ name: 'c', image: 'busybox:1' }] },
    };
    const jobTemplate = { ...template, spec: { ...template.spec, restartPolicy: 'Never' } };
    const kinds: [string, string, Record<string, unknown>][] = [
      ['Deployment', 'apps/v1', { selector: { matchLabels: { app: 'web' } }, template }],
      ['ReplicaSet', 'apps/v1', { selector: { matchLabels: { app: 'web' } }, template }],
      ['StatefulSet', 'apps/v1', { serviceName: 's', selector: { matchLabels: { app: 'web' } }, template }],
      ['DaemonSet', 'apps/v1', { selector: { matchLabels: { app: 'web' } }, template }],
      ['Job', 'batch/v1', { template: jobTemplate }],
      ['CronJob', 'batch/v1', { schedule: '* * * * *', jobTemplate: { spec: { template: jobTemplate } } }],
    ];
    for (const [kind, apiVersion, spec] of kinds) {
      const manifest = JSON.stringify({ apiVersion, kind, metadata: { name: 'wl', namespace: 'team', labels: { tier: 'workload-only' } }, spec });
      const { pod, namespace } = admitPod({ manifest, fileName: `${kind}.json` });
      assert.equal(pod.metadata.name, 'wl', kind);
      assert.equal(namespace, 'team', kind);
      assert.deepEqual(pod.metadata.labels, { app: 'web' }, `${kind}: the template's labels, not the workload's`);
      assert.deepEqual(pod.metadata.annotations, { note: 'from the template' }, kind);
      assert.equal(pod.spec.containers[0]!.name, 'c', kind);
    }
  });

  it('picks a workload by name among pods, and refuses a workload without a name', () => {
    const deployment = (name?: string) =>
      JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: name ? { name } : {}, spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'busybox:1' }] } } } });
    const mixed = [podManifest('p', { containers: [{ name: 'c', image: 'busybox:1' }] }), deployment('d')].join('\n---\n');
    assert.equal(admitPod({ manifest: mixed }).pod.metadata.name, 'p', 'the first runnable document by default');
    assert.equal(admitPod({ manifest: mixed, podName: 'd' }).pod.metadata.name, 'd');
    assert.throws(() => admitPod({ manifest: deployment() }), (e: PodError) => e.code === 'INVALID' && /no metadata.name/.test(e.message));
  });

  it('routes a workload by its pod template\'s runtime class', () => {
    const job = (name: string, runtimeClassName?: string) =>
      JSON.stringify({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name }, spec: { template: { spec: { runtimeClassName, restartPolicy: 'Never', containers: [{ name: 'c', image: 'm:1' }] } } } });
    assert.equal(requestedRuntimeClass({ manifest: job('j', 'pod-wasm') }), 'pod-wasm');
    assert.equal(requestedRuntimeClass({ manifest: job('j') }), 'pod-containers');
    const both = [podManifest('p', { containers: [{ name: 'c', image: 'busybox:1' }] }), job('j', 'pod-wasm')].join('\n---\n');
    assert.equal(requestedRuntimeClass({ manifest: both, podName: 'j' }), 'pod-wasm');
    assert.equal(requestedRuntimeClass({ manifest: both }), 'pod-containers');
  });
});
