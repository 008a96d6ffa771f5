// The editor's pure run helpers: which documents of a file run and where they start, where a failed run's
// error belongs in the manifest, and pull progress for the notification.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { failureSpots } from '../../client/run/failure-location';
import { planManifest } from '../../client/run/plan';
import { PullTally } from '../../client/run/pull-progress';
import type { PodError } from '../../engine/pods/types';

const FILE = `# leading comment
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  a: b
---
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: team
spec:
  terminationGracePeriodSeconds: 900
  initContainers:
    - name: setup
      image: busybox:1
  containers:
    - name: app
      image: nope/app:1
      command: ["/no/such/binary"]
      resources:
        limits:
          memory: 64Mi
  volumes:
    - name: data
      hostPath:
        path: /nowhere
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  selector:
    matchLabels: { app: api }
  template:
    metadata:
      labels: { app: api }
    spec:
      containers:
        - name: server
          image: busybox:1
          resources:
            limits:
              memory: 64Gi
---
just: yaml
`;

const lines = FILE.split('\n');
const lineOf = (needle: string, nth = 1): number => {
  let seen = 0;
  const i = lines.findIndex((l) => l.includes(needle) && ++seen === nth);
  assert.ok(i >= 0, needle);
  return i;
};

type Err = Pick<PodError, 'code' | 'message' | 'details'>;

function spots(index: number, err: Err): number[] {
  const plan = planManifest(FILE)!;
  return failureSpots(plan.file, plan.documents[index]!, err).map((s) => s.range.start.line);
}

describe('planManifest', () => {
  it('lists the Pods and workloads of a file with their names, namespaces and first lines', () => {
    const plan = planManifest(FILE)!;
    assert.deepEqual(
      plan.runnable.map((d) => [d.index, d.kind, d.name, d.namespace, d.range.start.line]),
      [
        [1, 'Pod', 'web', 'team', lineOf('kind: Pod') - 1],
        [2, 'Deployment', 'api', 'default', lineOf('kind: Deployment') - 1],
      ],
    );
  });

  it('leaves text that is not a manifest alone', () => {
    assert.equal(planManifest('services:\n  web:\n    image: nginx\n'), undefined);
    assert.deepEqual(planManifest('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n')!.runnable, []);
  });
});

describe('failureSpots', () => {
  it('puts a pull failure on the container\'s image', () => {
    assert.deepEqual(spots(1, { code: 'IMAGE', message: 'container "app": image nope/app:1: not found', details: { container: 'app' } }), [lineOf('image: nope/app:1')]);
  });

  it('puts an init container that exited non-zero on its name, with its last output', () => {
    const plan = planManifest(FILE)!;
    const err: Err = {
      code: 'INIT_FAILED',
      message: 'init container "setup" failed with exit code 1 (Error)',
      details: { container: 'setup', failure: { container: 'setup', reason: 'Error', exitCode: 1, lastLines: ['one', 'two'] } },
    };
    const [spot] = failureSpots(plan.file, plan.documents[1]!, err);
    assert.equal(spot!.range.start.line, lineOf('- name: setup'));
    assert.equal(spot!.message, 'init container "setup" failed with exit code 1 (Error)\nlast output:\none\ntwo');
  });

  it('puts a missing executable on the command, and an OOM kill on the memory limit', () => {
    const missing: Err = { code: 'START_FAILED', message: 'container "app": exec: "/no/such/binary": executable file not found in $PATH', details: { container: 'app' } };
    assert.deepEqual(spots(1, missing), [lineOf('command: ["/no/such/binary"]')]);
    const oom: Err = { code: 'START_FAILED', message: 'container "app" was OOMKilled', details: { container: 'app', failure: { container: 'app', reason: 'OOMKilled', exitCode: 137, lastLines: [] } } };
    assert.deepEqual(spots(1, oom), [lineOf('memory: 64Mi')]);
  });

  it('puts each limit on its field, inside a workload\'s template too', () => {
    const pod: Err = { code: 'LIMIT', message: "pod web exceeds the engine's limits: spec.terminationGracePeriodSeconds: above 300; spec.containers.0.resources.limits.memory: above 8Gi" };
    assert.deepEqual(spots(1, pod), [lineOf('terminationGracePeriodSeconds: 900'), lineOf('memory: 64Mi')]);
    const workload: Err = { code: 'LIMIT', message: "pod api exceeds the engine's limits: spec.containers.0.resources.limits.memory: above 8Gi" };
    assert.deepEqual(spots(2, workload), [lineOf('memory: 64Gi')]);
  });

  it('puts a volume failure on the volume, and leaves linter findings and unnamed errors out', () => {
    assert.deepEqual(spots(1, { code: 'START_FAILED', message: 'volume "data": hostPath /nowhere does not exist (type )' }), [lineOf('- name: data')]);
    const finding = { rule: 'schema-enum', severity: 'error' as const, message: 'm', range: { start: { line: 1, character: 0 }, end: { line: 1, character: 1 } } };
    assert.deepEqual(spots(1, { code: 'INVALID', message: 'x', details: { findings: [finding] } }), []);
    assert.deepEqual(spots(1, { code: 'RUNTIME', message: 'runc not found: install it with apt-get install -y runc' }), []);
    assert.deepEqual(spots(1, { code: 'START_FAILED', message: 'container "ghost": gone', details: { container: 'ghost' } }), []);
  });
});

describe('PullTally', () => {
  it('sums bytes over blobs and hands out increments that only grow', () => {
    const t = new PullTally();
    assert.equal(t.message(), undefined);
    t.update('nginx:1', { type: 'resolve', reference: 'nginx:1', digest: 'sha256:i' });
    assert.equal(t.message(), 'pulling nginx:1');
    t.update('nginx:1', { type: 'blob-start', digest: 'sha256:a', size: 1024 * 1024, mediaType: 'x' });
    t.update('nginx:1', { type: 'blob-start', digest: 'sha256:b', size: 1024 * 1024, mediaType: 'x' });
    t.update('nginx:1', { type: 'blob-progress', digest: 'sha256:a', bytes: 512 * 1024, size: 1024 * 1024 });
    assert.equal(t.message(), 'pulling nginx:1: 512.0 KiB / 2.0 MiB');
    assert.equal(t.increment(), 25);
    assert.equal(t.increment(), 0);
    t.update('nginx:1', { type: 'blob-done', digest: 'sha256:a', cached: false });
    t.update('nginx:1', { type: 'blob-done', digest: 'sha256:b', cached: true });
    assert.equal(t.bytes, t.total);
    assert.equal(t.increment(), 75);
  });
});
