import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lintText } from '../../engine/manifest/lint';
import { expectOne, fixed, lines, none, on } from './helpers';

const OURS = /^(limit-|name-rfc1123|label-|no-containers|duplicate-|volume-mount|probe-port|requests-exceed|unknown-runtime|wasm-|microvm-)/;

describe('workload templates', () => {
  const deployment = lines(
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    '  name: web',
    'spec:',
    '  selector:',
    '    matchLabels: {app: web}',
    '  template:',
    '    metadata:',
    '      labels: {app: web}',
    '    spec:',
    '      terminationGracePeriodSeconds: 900',
    '      containers:',
    '      - name: Web_Server',
    '        image: nginx',
    '        resources:',
    '          limits: {memory: 16Gi}',
    '        volumeMounts: [{name: dat, mountPath: /d}]',
    '      volumes: [{name: data, emptyDir: {}}]',
  );

  it('checks a Deployment\'s pod template, pinned inside the template', () => {
    const grace = expectOne(deployment, 'limit-grace-period', 'error', on(deployment, 11, '900'));
    assert.equal(fixed(deployment, grace).split('\n')[11], '      terminationGracePeriodSeconds: 300');
    const name = expectOne(deployment, 'name-rfc1123', 'error', on(deployment, 13, 'Web_Server'));
    assert.equal(fixed(deployment, name).split('\n')[13], '      - name: web-server');
    const mem = expectOne(deployment, 'limit-memory', 'error', on(deployment, 16, '16Gi'));
    assert.deepEqual(mem.path, ['spec', 'template', 'spec', 'containers', 0, 'resources', 'limits', 'memory']);
    const mount = expectOne(deployment, 'volume-mount-undeclared', 'error', on(deployment, 17, 'dat'));
    assert.equal(fixed(deployment, mount).split('\n')[17], '        volumeMounts: [{name: data, mountPath: /d}]');
  });

  it('does not require a name on a template', () => {
    const ours = lintText(deployment).findings.filter((f) => OURS.test(f.rule));
    assert.deepEqual(ours.map((f) => f.rule).sort(), ['limit-grace-period', 'limit-memory', 'name-rfc1123', 'volume-mount-undeclared']);
  });

  it('checks a CronJob\'s job template', () => {
    const cron = lines(
      'apiVersion: batch/v1',
      'kind: CronJob',
      'metadata: {name: nightly}',
      'spec:',
      '  schedule: "0 3 * * *"',
      '  jobTemplate:',
      '    spec:',
      '      template:',
      '        metadata: {name: Nightly.Job}',
      '        spec:',
      '          runtimeClassName: pod-wasm',
      '          restartPolicy: OnFailure',
      '          containers:',
      '          - name: job',
      '            image: b',
      '            livenessProbe: {exec: {command: [true]}}',
      '          - name: job',
      '            image: c',
    );
    expectOne(cron, 'name-rfc1123', 'error', on(cron, 8, 'Nightly.Job'));
    expectOne(cron, 'wasm-exec', 'error', on(cron, 15, 'exec'));
    expectOne(cron, 'duplicate-container-name', 'error', on(cron, 16, 'job'));
  });

  it('passes a clean Job', () => {
    const job = lines('apiVersion: batch/v1', 'kind: Job', 'metadata: {name: once}', 'spec:', '  template:', '    spec:',
      '      restartPolicy: Never', '      containers: [{name: once, image: busybox}]');
    assert.deepEqual(lintText(job).findings.filter((f) => OURS.test(f.rule)), []);
    none(job, 'no-containers');
  });
});
