// Unit tests of validateSchema: each rule, its message, path and fix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateSchema } from '../../engine/manifest/schema/index';
import type { Report } from '../../engine/manifest/report';
import { MINIMAL_POD, VALID_PODS, type Json } from './pods';

/** A deep copy of `base` with `value` set at `path` (undefined deletes). */
function withValue(base: Json, path: (string | number)[], value: unknown): Json {
  const copy = structuredClone(base);
  let cur: Record<string | number, unknown> = copy;
  for (const seg of path.slice(0, -1)) cur = cur[seg] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (value === undefined) delete cur[last];
  else cur[last] = value;
  return copy;
}

const container = (extra: Json): Json => withValue(MINIMAL_POD, ['spec', 'containers', 0], { name: 'app', image: 'nginx', ...extra });

function only(reports: Report[]): Report {
  assert.equal(reports.length, 1, `expected one report, got ${JSON.stringify(reports, null, 1)}`);
  return reports[0];
}

test('the valid pods pass', () => {
  for (const [name, pod] of Object.entries(VALID_PODS)) assert.deepEqual(validateSchema('Pod', pod), [], name);
});

test('unknown fields are reported at several depths with a rename fix', () => {
  const cases: { pod: Json; path: (string | number)[]; to: string; type: string }[] = [
    { pod: withValue(withValue(MINIMAL_POD, ['metdata'], { name: 'x' }), ['metadata'], undefined), path: ['metdata'], to: 'metadata', type: 'Pod' },
    {
      pod: withValue(withValue(MINIMAL_POD, ['spec', 'contianers'], [{ name: 'a', image: 'b' }]), ['spec', 'containers'], undefined),
      path: ['spec', 'contianers'],
      to: 'containers',
      type: 'PodSpec',
    },
    { pod: container({ imagePullPolicyy: 'Always' }), path: ['spec', 'containers', 0, 'imagePullPolicyy'], to: 'imagePullPolicy', type: 'Container' },
    {
      pod: container({ livenessProbe: { httpGet: { port: 80, pth: '/' } } }),
      path: ['spec', 'containers', 0, 'livenessProbe', 'httpGet', 'pth'],
      to: 'path',
      type: 'HTTPGetAction',
    },
    {
      pod: container({ securityContext: { capabilities: { Drop: ['ALL'] } } }),
      path: ['spec', 'containers', 0, 'securityContext', 'capabilities', 'Drop'],
      to: 'drop',
      type: 'Capabilities',
    },
  ];
  for (const c of cases) {
    const r = only(validateSchema('Pod', c.pod));
    assert.equal(r.rule, 'schema-unknown-field');
    assert.deepEqual(r.path, c.path);
    assert.equal(r.target, 'key');
    const field = String(c.path[c.path.length - 1]);
    assert.match(r.message, new RegExp(`"${field}".*${c.type}`));
    assert.deepEqual(r.fixes?.[0], { kind: 'rename-key', title: `Rename to ${c.to}`, to: c.to, preferred: true });
  }
});

test('an unknown field with no close match gets no fix, and strictness covers metadata', () => {
  const r = only(validateSchema('Pod', withValue(MINIMAL_POD, ['metadata', 'frobnicate'], true)));
  assert.equal(r.rule, 'schema-unknown-field');
  assert.deepEqual(r.path, ['metadata', 'frobnicate']);
  assert.match(r.message, /ObjectMeta/);
  assert.equal(r.fixes, undefined);
});

test('no rename onto a field the mapping already has', () => {
  const r = only(validateSchema('Pod', container({ imagee: 'x' })));
  assert.equal(r.rule, 'schema-unknown-field');
  assert.equal(r.fixes, undefined);
});

test('wrong types say what was expected and what was found', () => {
  const cases: { pod: Json; path: (string | number)[]; expected: RegExp; fix?: unknown }[] = [
    { pod: container({ ports: [{ containerPort: '80' }] }), path: ['spec', 'containers', 0, 'ports', 0, 'containerPort'], expected: /expected an integer, got string "80"/, fix: 80 },
    { pod: container({ env: [{ name: 'A', value: 1 }] }), path: ['spec', 'containers', 0, 'env', 0, 'value'], expected: /expected a string, got integer 1/, fix: '1' },
    { pod: container({ tty: 'true' }), path: ['spec', 'containers', 0, 'tty'], expected: /expected a boolean, got string "true"/, fix: true },
    { pod: container({ command: 'sleep 1' }), path: ['spec', 'containers', 0, 'command'], expected: /expected a list of strings, got string/ },
    { pod: withValue(MINIMAL_POD, ['spec', 'containers'], { name: 'a' }), path: ['spec', 'containers'], expected: /expected a list of Container items, got a mapping/ },
    { pod: withValue(MINIMAL_POD, ['metadata', 'labels'], ['a']), path: ['metadata', 'labels'], expected: /expected a mapping of string values, got a list/ },
    { pod: container({ ports: [{ containerPort: 1.5 }] }), path: ['spec', 'containers', 0, 'ports', 0, 'containerPort'], expected: /expected an integer, got number 1.5/ },
    { pod: withValue(MINIMAL_POD, ['spec', 'securityContext'], 'root'), path: ['spec', 'securityContext'], expected: /expected a PodSecurityContext mapping/ },
  ];
  for (const c of cases) {
    const r = only(validateSchema('Pod', c.pod));
    assert.equal(r.rule, 'schema-type', JSON.stringify(r));
    assert.deepEqual(r.path, c.path);
    assert.match(r.message, c.expected);
    if (c.fix === undefined) assert.equal(r.fixes, undefined);
    else assert.deepEqual(r.fixes?.[0] && { kind: r.fixes[0].kind, value: (r.fixes[0] as { value: unknown }).value }, { kind: 'set-value', value: c.fix });
  }
});

test('a wrong type in an enum field is one error, not a type error plus an enum error', () => {
  const r = only(validateSchema('Pod', container({ imagePullPolicy: 3 })));
  assert.equal(r.rule, 'schema-type');
});

test('enum violations list the allowed values and fix to the nearest', () => {
  const cases: { pod: Json; path: (string | number)[]; to: string }[] = [
    { pod: container({ imagePullPolicy: 'ifnotpresent' }), path: ['spec', 'containers', 0, 'imagePullPolicy'], to: 'IfNotPresent' },
    { pod: withValue(MINIMAL_POD, ['spec', 'restartPolicy'], 'Alwys'), path: ['spec', 'restartPolicy'], to: 'Always' },
    { pod: container({ ports: [{ containerPort: 53, protocol: 'udp' }] }), path: ['spec', 'containers', 0, 'ports', 0, 'protocol'], to: 'UDP' },
    { pod: withValue(MINIMAL_POD, ['spec', 'dnsPolicy'], 'clusterfirst'), path: ['spec', 'dnsPolicy'], to: 'ClusterFirst' },
    {
      pod: withValue(MINIMAL_POD, ['spec', 'tolerations'], [{ key: 'k', operator: 'Exist' }]),
      path: ['spec', 'tolerations', 0, 'operator'],
      to: 'Exists',
    },
  ];
  for (const c of cases) {
    const r = only(validateSchema('Pod', c.pod));
    assert.equal(r.rule, 'schema-enum');
    assert.deepEqual(r.path, c.path);
    assert.match(r.message, /use one of /);
    assert.ok(r.message.includes(c.to), r.message);
    assert.deepEqual(r.fixes?.[0], { kind: 'set-value', title: `Change to ${c.to}`, value: c.to, preferred: true });
  }
  const far = only(validateSchema('Pod', container({ imagePullPolicy: 'Sometimes' })));
  assert.match(far.message, /Always, IfNotPresent, Never/);
  assert.deepEqual(
    far.fixes?.map((f) => (f as { value: unknown }).value),
    ['Always', 'IfNotPresent', 'Never'],
  );
  assert.ok(far.fixes?.every((f) => !f.preferred));
});

test('enum items of a list and the container-level restart policy of release-1.36', () => {
  const claim = { name: 'v', ephemeral: { volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce', 'ReadWriteSometimes'] } } } };
  const r = only(validateSchema('Pod', withValue(MINIMAL_POD, ['spec', 'volumes'], [claim])));
  assert.equal(r.rule, 'schema-enum');
  assert.deepEqual(r.path, ['spec', 'volumes', 0, 'ephemeral', 'volumeClaimTemplate', 'spec', 'accessModes', 1]);
  for (const policy of ['Always', 'OnFailure', 'Never']) assert.deepEqual(validateSchema('Pod', container({ restartPolicy: policy })), []);
  assert.equal(only(validateSchema('Pod', container({ restartPolicy: 'Sometimes' }))).rule, 'schema-enum');
  // hostPath type allows the empty string.
  assert.deepEqual(validateSchema('Pod', withValue(MINIMAL_POD, ['spec', 'volumes'], [{ name: 'h', hostPath: { path: '/x', type: '' } }])), []);
});

test('missing required fields point at the object and insert a placeholder', () => {
  const noName = withValue(MINIMAL_POD, ['spec', 'containers', 0], { image: 'nginx' });
  const r = only(validateSchema('Pod', noName));
  assert.equal(r.rule, 'schema-required');
  assert.deepEqual(r.path, ['spec', 'containers', 0]);
  assert.equal(r.target, 'key');
  assert.match(r.message, /Container is missing the required field "name"/);
  assert.deepEqual(r.fixes?.[0], { kind: 'insert-field', title: 'Add name: app', key: 'name', value: 'app', preferred: true });

  const noContainers = only(validateSchema('Pod', withValue(MINIMAL_POD, ['spec', 'containers'], undefined)));
  assert.deepEqual(noContainers.path, ['spec']);
  assert.deepEqual((noContainers.fixes?.[0] as { value: unknown }).value, [{ name: 'app', image: '' }]);

  const port = only(validateSchema('Pod', container({ ports: [{ name: 'http' }] })));
  assert.deepEqual(port.fixes?.[0], { kind: 'insert-field', title: 'Add containerPort: 8080', key: 'containerPort', value: 8080, preferred: true });

  const mount = only(validateSchema('Pod', container({ volumeMounts: [{ name: 'data' }] })));
  assert.equal((mount.fixes?.[0] as { value: unknown }).value, '/data');
});

test('a required field written without a value is reported on its key, without an insert fix', () => {
  const r = only(validateSchema('Pod', withValue(MINIMAL_POD, ['spec', 'containers', 0, 'name'], null)));
  assert.equal(r.rule, 'schema-required');
  assert.deepEqual(r.path, ['spec', 'containers', 0, 'name']);
  assert.equal(r.fixes, undefined);
});

test('null members are "not set", as Kubernetes reads them', () => {
  const pod = withValue(withValue(MINIMAL_POD, ['metadata', 'creationTimestamp'], null), ['spec', 'containers', 0, 'resources'], null);
  assert.deepEqual(validateSchema('Pod', pod), []);
  // A null list item is still an error.
  assert.equal(only(validateSchema('Pod', withValue(MINIMAL_POD, ['spec', 'containers'], [null]))).rule, 'schema-type');
});

test('resource quantities', () => {
  const bad = ['1Gb', 'abc', '1.5.2', '', '10 m', '1Ki1', 'Gi'];
  const good: unknown[] = ['100m', '1Gi', '0.5', 2, '1e3', '1E3', '128974848', '129e6', '123Mi', '-1', '+.5', '1.', 0.25, '5k', '1Ei'];
  for (const q of good) {
    assert.deepEqual(validateSchema('Pod', container({ resources: { limits: { memory: q } } })), [], `accepts ${JSON.stringify(q)}`);
  }
  for (const q of bad) {
    const r = only(validateSchema('Pod', container({ resources: { requests: { cpu: q } } })));
    assert.equal(r.rule, 'schema-format', `rejects ${JSON.stringify(q)}`);
    assert.deepEqual(r.path, ['spec', 'containers', 0, 'resources', 'requests', 'cpu']);
    assert.match(r.message, /not a valid quantity/);
  }
  const gb = only(validateSchema('Pod', container({ resources: { limits: { memory: '1Gb' } } })));
  assert.deepEqual(gb.fixes?.[0], { kind: 'set-value', title: 'Change to 1Gi', value: '1Gi', preferred: true });
  // Every quantity place: emptyDir.sizeLimit, overhead, divisor, volume claim requests.
  const places: [(string | number)[], unknown][] = [
    [['spec', 'volumes'], [{ name: 'v', emptyDir: { sizeLimit: '1GB' } }]],
    [['spec', 'overhead'], { cpu: 'lots' }],
    [['spec', 'containers', 0, 'env'], [{ name: 'X', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: 'x' } } }]],
    [['spec', 'volumes'], [{ name: 'v', ephemeral: { volumeClaimTemplate: { spec: { resources: { requests: { storage: '10 G' } } } } } }]],
  ];
  for (const [path, value] of places) assert.equal(only(validateSchema('Pod', withValue(MINIMAL_POD, path, value))).rule, 'schema-format', path.join('.'));
  assert.equal(only(validateSchema('Pod', container({ resources: { limits: { memory: true } } }))).rule, 'schema-type');
});

test('int-or-string ports: numbers and names pass, anything else is one error', () => {
  for (const port of [8080, 'http']) {
    assert.deepEqual(validateSchema('Pod', container({ readinessProbe: { httpGet: { port } } })), []);
    assert.deepEqual(validateSchema('Pod', container({ livenessProbe: { tcpSocket: { port } } })), []);
  }
  for (const port of [true, { n: 1 }, [80], 1.5]) {
    const r = only(validateSchema('Pod', container({ readinessProbe: { httpGet: { port } } })));
    assert.equal(r.rule, 'schema-type');
    assert.match(r.message, /expected an integer or a string/);
  }
  const big = only(validateSchema('Pod', container({ readinessProbe: { httpGet: { port: 2 ** 31 } } })));
  assert.equal(big.rule, 'schema-format');
});

test('int32 range, date-time and base64 formats', () => {
  const r = only(validateSchema('Pod', container({ ports: [{ containerPort: 3_000_000_000 }] })));
  assert.equal(r.rule, 'schema-format');
  assert.match(r.message, /32-bit/);
  assert.deepEqual(validateSchema('Pod', withValue(MINIMAL_POD, ['spec', 'activeDeadlineSeconds'], 3_000_000_000)), [], 'int64 is fine');
  assert.equal(only(validateSchema('Pod', withValue(MINIMAL_POD, ['metadata', 'creationTimestamp'], 'yesterday'))).rule, 'schema-format');
  assert.deepEqual(validateSchema('Pod', withValue(MINIMAL_POD, ['metadata', 'creationTimestamp'], '2024-02-29T23:59:59.123+01:00')), []);

  const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, type: 'example.com/custom', data: { ok: 'aGVsbG8=', wrapped: 'aGVs\nbG8=' } };
  assert.deepEqual(validateSchema('Secret', secret), [], 'any Secret type is allowed; wrapped base64 is fine');
  const bad = only(validateSchema('Secret', { ...secret, data: { pw: 'hunter2!' } }));
  assert.equal(bad.rule, 'schema-format');
  assert.deepEqual(bad.path, ['data', 'pw']);
  assert.match(bad.message, /base64.*stringData/);
});

test('ConfigMap, Secret and PodTemplateSpec roots', () => {
  assert.deepEqual(validateSchema('ConfigMap', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'b' }, immutable: true }), []);
  const cm = only(validateSchema('ConfigMap', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, dat: { a: 'b' } }));
  assert.deepEqual(cm.fixes?.[0], { kind: 'rename-key', title: 'Rename to data', to: 'data', preferred: true });
  assert.equal(only(validateSchema('ConfigMap', { apiVersion: 'v1', kind: 'ConfigMap', data: { a: 1 } })).rule, 'schema-type');
  assert.deepEqual(validateSchema('Secret', { apiVersion: 'v1', kind: 'Secret', stringData: { a: 'b' } }), []);

  const template = { metadata: { labels: { app: 'x' } }, spec: MINIMAL_POD.spec };
  assert.deepEqual(validateSchema('PodTemplateSpec', template), []);
  const t = only(validateSchema('PodTemplateSpec', { ...template, apiVersion: 'v1' }));
  assert.equal(t.rule, 'schema-unknown-field');
  assert.match(t.message, /PodTemplateSpec/);
  assert.equal(only(validateSchema('Pod', withValue(MINIMAL_POD, ['apiVersion'], 'v2'))).rule, 'schema-enum');
});

test('a non-object root is one type error', () => {
  const r = only(validateSchema('Pod', ['not', 'a', 'pod']));
  assert.equal(r.rule, 'schema-type');
  assert.deepEqual(r.path, []);
});

test('many problems at once are all reported, each once', () => {
  const pod = withValue(MINIMAL_POD, ['spec'], {
    restartPolicy: 'always',
    containers: [
      { name: 'a', image: 'x', imagePullPolicy: 'never', ports: [{ containerPort: '80' }], resources: { limits: { cpu: '1 core' } } },
      { image: 'y', tty: 'yes' },
    ],
    volumes: [{ name: 'v', emptydir: {} }],
  });
  const reports = validateSchema('Pod', pod);
  const summary = reports.map((r) => `${r.rule} ${r.path.join('.')}`).sort();
  assert.deepEqual(summary, [
    'schema-enum spec.containers.0.imagePullPolicy',
    'schema-enum spec.restartPolicy',
    'schema-format spec.containers.0.resources.limits.cpu',
    'schema-required spec.containers.1',
    'schema-type spec.containers.0.ports.0.containerPort',
    'schema-type spec.containers.1.tty',
    'schema-unknown-field spec.volumes.0.emptydir',
  ]);
});
