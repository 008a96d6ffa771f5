import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lintText } from '../../engine/manifest/lint';
import { applyEdits, expectOne, fixed, lines, none, on, one, range } from './helpers';

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

describe('workload selectors', () => {
  const deployment = (selector: string[], labels: string[]) =>
    lines(
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      '  name: web',
      'spec:',
      ...selector,
      '  template:',
      ...labels,
      '    spec:',
      '      containers: [{name: web, image: nginx}]',
    );

  it('flags a matchLabels pair the template does not carry, and adds it to the template', () => {
    const text = deployment(['  selector:', '    matchLabels: {app: web, tier: front}'], ['    metadata:', '      labels:', '        app: web']);
    const f = expectOne(text, 'workload-selector', 'error', on(text, 6, 'tier: front'));
    assert.match(f.message, /tier=front/);
    assert.equal(f.fixes?.[0].preferred, true);
    assert.equal(fixed(text, f), deployment(['  selector:', '    matchLabels: {app: web, tier: front}'], ['    metadata:', '      labels:', '        tier: front', '        app: web']));
    none(fixed(text, f), 'workload-selector');
  });

  it('flags a label with another value, offering either side as the fix', () => {
    const text = deployment(['  selector:', '    matchLabels:', '      app: web'], ['    metadata:', '      labels: {app: api}']);
    const f = expectOne(text, 'workload-selector', 'error', on(text, 7, 'app: web'));
    assert.match(f.message, /app=web.*app=api/);
    assert.equal(f.fixes?.length, 2);
    assert.ok(f.fixes?.every((x) => !x.preferred), 'which side is right is the author\'s call');
    assert.match(fixed(text, f, 0), /labels: \{app: web\}/);
    assert.match(fixed(text, f, 1), /^ {6}app: api$/m);
  });

  it('adds the labels block to a template that has none, in one fix', () => {
    const text = deployment(['  selector:', '    matchLabels: {app: web, tier: front}'], []);
    const f = expectOne(text, 'workload-selector', 'error', on(text, 6, 'matchLabels'));
    assert.match(f.message, /template has no labels/);
    const repaired = fixed(text, f);
    assert.match(repaired, /\n {2}template:\n {4}metadata:\n {6}labels:\n {8}app: web\n {8}tier: front\n {4}spec:/);
    assert.deepEqual(lintText(repaired).findings, []);
  });

  it('evaluates matchExpressions as the API server does', () => {
    const labels = ['    metadata:', '      labels: {app: web, env: prod}'];
    const ok = ['{key: app, operator: In, values: [web, api]}', '{key: env, operator: NotIn, values: [dev]}', '{key: app, operator: Exists}', '{key: canary, operator: DoesNotExist}', '{key: canary, operator: NotIn, values: [x]}'];
    for (const e of ok) none(deployment(['  selector:', '    matchExpressions:', `    - ${e}`], labels), 'workload-selector');
    const bad = ['{key: app, operator: In, values: [api]}', '{key: env, operator: NotIn, values: [prod]}', '{key: canary, operator: Exists}', '{key: app, operator: DoesNotExist}', '{key: canary, operator: In, values: [x]}'];
    for (const e of bad) {
      const text = deployment(['  selector:', '    matchExpressions:', `    - ${e}`], labels);
      const f = expectOne(text, 'workload-selector', 'error', on(text, 7, e));
      assert.match(f.message, /does not match the pod template/);
    }
  });

  it('flags requirements the API server cannot read, and an empty or missing selector', () => {
    const labels = ['    metadata:', '      labels: {app: web}'];
    const exists = deployment(['  selector:', '    matchExpressions:', '    - {key: app, operator: Exists, values: [web]}'], labels);
    expectOne(exists, 'workload-selector', 'error', on(exists, 7, 'values'));
    const op = deployment(['  selector:', '    matchExpressions:', '    - {key: app, operator: Has}'], labels);
    expectOne(op, 'workload-selector', 'error', on(op, 7, 'Has'));
    const noValues = deployment(['  selector:', '    matchExpressions:', '    - {key: app, operator: In, values: []}'], labels);
    expectOne(noValues, 'workload-selector', 'error', on(noValues, 7, 'In'));
    const empty = deployment(['  selector: {}'], labels);
    assert.match(expectOne(empty, 'workload-selector', 'error', on(empty, 5, 'selector')).message, /empty selector/);
    const missing = deployment([], labels);
    const f = expectOne(missing, 'workload-selector', 'error', on(missing, 4, 'spec'));
    assert.match(f.message, /needs spec.selector/);
    const repaired = fixed(missing, f);
    assert.match(repaired, /\nspec:\n {2}selector:\n {4}matchLabels:\n {6}app: web\n {2}template:/);
    none(repaired, 'workload-selector');
  });

  it('checks every kind with a selector, and a Job only with manualSelector', () => {
    for (const kind of ['ReplicaSet', 'StatefulSet', 'DaemonSet']) {
      const text = deployment(['  selector:', '    matchLabels: {app: db}'], ['    metadata:', '      labels: {app: web}']).replace('Deployment', kind);
      one(text, 'workload-selector');
    }
    const job = (manual: boolean) =>
      JSON.stringify({
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: 'once' },
        spec: { ...(manual ? { manualSelector: true } : {}), selector: { matchLabels: { app: 'once' } }, template: { metadata: { labels: { run: 'x' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'a', image: 'b' }] } } },
      }, null, 2);
    assert.deepEqual(lintText(job(false), { fileName: 'job.json' }).findings, []);
    const manual = job(true);
    const f = lintText(manual, { fileName: 'job.json' }).findings;
    assert.deepEqual(f.map((x) => x.rule), ['workload-selector']);
    // In JSON the fix is JSON.
    const repaired = applyEdits(manual, f[0].fixes![0].edits);
    assert.match(repaired, /"labels": \{\n\s+"app": "once", "run": "x"/);
    assert.deepEqual(lintText(repaired, { fileName: 'job.json' }).findings, []);
  });
});

describe('workload names', () => {
  it('flags a name that is not an RFC 1123 subdomain, with a rename', () => {
    for (const kind of ['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob']) {
      const text = lines(`apiVersion: ${kind === 'Job' || kind === 'CronJob' ? 'batch/v1' : 'apps/v1'}`, `kind: ${kind}`, 'metadata:', '  name: Web_App');
      const f = expectOne(text, 'workload-name', 'error', on(text, 3, 'Web_App'));
      assert.match(f.message, new RegExp(`^${kind} name "Web_App" is not an RFC 1123 subdomain`));
      assert.equal(fixed(text, f).split('\n')[3], '  name: web-app');
    }
    none(lines('apiVersion: apps/v1', 'kind: Deployment', 'metadata:', '  name: web.v1-2'), 'workload-name');
  });

  it('keeps CronJob names to 52 characters, room for the suffix of their jobs', () => {
    const cron = (name: string) => lines('apiVersion: batch/v1', 'kind: CronJob', 'metadata:', `  name: ${name}`);
    none(cron('a'.repeat(52)), 'workload-name');
    const f = expectOne(cron('a'.repeat(53)), 'workload-name', 'error', range(3, 8, 3, 61));
    assert.match(f.message, /at most 52/);
    none(lines('apiVersion: batch/v1', 'kind: Job', 'metadata:', `  name: ${'a'.repeat(53)}`), 'workload-name');
  });
});
