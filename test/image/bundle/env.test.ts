import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  BundleError,
  DEFAULT_PATH,
  buildBundleConfig,
  isEnvVarName,
  kubeletEnv,
  mergeEnv,
  podHostname,
  type ContainerSpec,
  type EnvSources,
  type PodFacts,
} from '../../../engine/image/bundle';
import { POD, image, input } from './fixtures';

function envOf(container: Partial<ContainerSpec>, sources?: EnvSources, pod: PodFacts = POD): Record<string, string> {
  return Object.fromEntries(kubeletEnv({ name: 'app', ...container }, pod, sources).vars);
}

/** The final OCI env as a record (later duplicates would overwrite, but the builder never emits any). */
function finalEnv(env: string[] | undefined): Record<string, string> {
  return Object.fromEntries((env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
}

describe('env value expansion', () => {
  it('a value sees env entries defined before it', () => {
    assert.deepEqual(
      envOf({
        env: [
          { name: 'A', value: 'x' },
          { name: 'B', value: '$(A)-y' },
        ],
      }),
      { A: 'x', B: 'x-y' },
    );
  });

  it('a value does not see entries defined after it', () => {
    assert.deepEqual(
      envOf({
        env: [
          { name: 'B', value: '$(A)' },
          { name: 'A', value: 'x' },
        ],
      }),
      { B: '$(A)', A: 'x' },
    );
  });

  it('a redefinition sees the earlier value of the same name', () => {
    assert.deepEqual(
      envOf({
        env: [
          { name: 'A', value: '1' },
          { name: 'A', value: '$(A)2' },
        ],
      }),
      { A: '12' },
    );
  });

  it('a value sees envFrom variables and service variables, container ones first', () => {
    const env = envOf(
      { envFrom: [{ configMapRef: { name: 'cm' } }], env: [{ name: 'X', value: '$(FROM_CM):$(SVC):$(SHADOW)' }] },
      { configMaps: { cm: { FROM_CM: 'c', SHADOW: 'container' } }, serviceEnv: { SVC: 's', SHADOW: 'service' } },
    );
    assert.equal(env.X, 'c:s:container');
  });

  it('a value does not see the image env (the kubelet never has it)', () => {
    const r = buildBundleConfig(
      input({ env: [{ name: 'P', value: '$(PATH)' }] }, { image: image({ Cmd: ['/x'], Env: ['PATH=/img'] }) }),
    );
    assert.equal(finalEnv(r.config.process.env).P, '$(PATH)');
  });

  it('envFrom values and valueFrom values are not expanded', () => {
    const env = envOf(
      {
        envFrom: [{ configMapRef: { name: 'cm' } }],
        env: [
          { name: 'A', value: 'a' },
          { name: 'F', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['note']" } } },
        ],
      },
      { configMaps: { cm: { RAW: '$(A)' } } },
      { ...POD, annotations: { note: '$(A)' } },
    );
    assert.equal(env.RAW, '$(A)');
    assert.equal(env.F, '$(A)');
  });

  it('service variables are added unless the container defines them', () => {
    const env = envOf({ env: [{ name: 'SVC_PORT', value: '1' }] }, { serviceEnv: { SVC_PORT: '443', SVC_HOST: 'h' } });
    assert.deepEqual(env, { SVC_PORT: '1', SVC_HOST: 'h' });
  });
});

describe('env precedence', () => {
  it('image Env < envFrom (in order, later wins) < env', () => {
    const r = buildBundleConfig(
      input(
        {
          envFrom: [{ configMapRef: { name: 'one' } }, { secretRef: { name: 'two' } }],
          env: [{ name: 'D', value: 'env' }],
        },
        {
          image: image({ Cmd: ['/x'], Env: ['A=image', 'B=image', 'C=image', 'D=image', 'KEEP=image'] }),
          sources: { configMaps: { one: { B: 'one', C: 'one', D: 'one' } }, secrets: { two: { C: 'two', D: 'two' } } },
        },
      ),
    );
    const env = finalEnv(r.config.process.env);
    assert.deepEqual(
      { A: env.A, B: env.B, C: env.C, D: env.D, KEEP: env.KEEP },
      { A: 'image', B: 'one', C: 'two', D: 'env', KEEP: 'image' },
    );
  });

  it('envFrom prefix is applied before the name check; invalid keys are skipped with a sorted warning', () => {
    const container: Partial<ContainerSpec> = {
      envFrom: [{ configMapRef: { name: 'cm' } }, { prefix: 'P_', configMapRef: { name: 'cm' } }],
    };
    const sources = {
      configMaps: { cm: { ok: '1', '1bad': '2', 'has space': '3', 'dots.and-dash': '4', 'z=eq': '5' } },
    };
    const result = kubeletEnv({ name: 'app', ...container }, POD, sources);
    assert.deepEqual(Object.fromEntries(result.vars), {
      ok: '1',
      'dots.and-dash': '4',
      P_ok: '1',
      P_1bad: '2',
      'P_dots.and-dash': '4',
    });
    assert.equal(result.warnings.length, 2);
    assert.match(result.warnings[0], /keys \[1bad, has space, z=eq\] from the envFrom configMap shop\/cm were skipped/);
    assert.match(result.warnings[1], /keys \[P_has space, P_z=eq\]/);
  });

  it('relaxed env names accept any printable ASCII but =', () => {
    const env = envOf(
      { envFrom: [{ configMapRef: { name: 'cm' } }] },
      { configMaps: { cm: { '1 ok!': 'y', 'no=': 'n' } }, relaxedEnvNames: true },
    );
    assert.deepEqual(env, { '1 ok!': 'y' });
    assert.equal(isEnvVarName('1abc'), false);
    assert.equal(isEnvVarName('_a.b-c9'), true);
    assert.equal(isEnvVarName(''), false);
  });

  it('missing sources: optional ones are skipped, required ones are errors', () => {
    assert.deepEqual(envOf({ envFrom: [{ secretRef: { name: 'nope', optional: true } }] }), {});
    assert.throws(
      () => envOf({ envFrom: [{ configMapRef: { name: 'nope' } }] }),
      (e: unknown) => e instanceof BundleError && e.code === 'MISSING_CONFIG_MAP' && /optional/.test(e.message),
    );
    assert.throws(
      () => envOf({ env: [{ name: 'S', valueFrom: { secretKeyRef: { name: 'nope', key: 'k' } } }] }),
      (e: unknown) => e instanceof BundleError && e.code === 'MISSING_SECRET',
    );
    assert.throws(
      () =>
        envOf({ env: [{ name: 'S', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] }, { secrets: { s: {} } }),
      (e: unknown) => e instanceof BundleError && e.code === 'MISSING_KEY' && /needs key "k"/.test(e.message),
    );
  });

  it('an optional key that is absent leaves the variable undefined, so an image value survives', () => {
    const r = buildBundleConfig(
      input(
        { env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'cm', key: 'missing', optional: true } } }] },
        { image: image({ Cmd: ['/x'], Env: ['A=image'] }), sources: { configMaps: { cm: {} } } },
      ),
    );
    assert.equal(finalEnv(r.config.process.env).A, 'image');
  });

  it('configMapKeyRef and secretKeyRef read their key', () => {
    const env = envOf(
      {
        env: [
          { name: 'C', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k' } } },
          { name: 'S', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
        ],
      },
      { configMaps: { cm: { k: 'from-cm' } }, secrets: { s: { k: 'from-secret' } } },
    );
    assert.deepEqual(env, { C: 'from-cm', S: 'from-secret' });
  });

  it('an empty value with no source is an empty variable', () => {
    assert.deepEqual(envOf({ env: [{ name: 'E' }, { name: 'F', value: '' }] }), { E: '', F: '' });
  });
});

describe('fieldRef and resourceFieldRef', () => {
  const pod: PodFacts = {
    ...POD,
    labels: { app: 'web' },
    annotations: { 'example.com/team': 'core' },
    podIPs: ['10.1.0.5', 'fd00::5'],
    hostIP: '192.168.0.2',
    nodeName: 'node-1',
    serviceAccountName: 'default',
  };
  const ref = (fieldPath: string) => ({ name: 'V', valueFrom: { fieldRef: { fieldPath } } });

  const fields: [string, string][] = [
    ['metadata.name', 'web'],
    ['metadata.namespace', 'shop'],
    ['metadata.uid', POD.uid],
    ["metadata.labels['app']", 'web'],
    ["metadata.annotations['example.com/team']", 'core'],
    ["metadata.labels['missing']", ''],
    ['status.podIP', '10.1.0.5'],
    ['status.podIPs', '10.1.0.5,fd00::5'],
    ['status.hostIP', '192.168.0.2'],
    ['status.hostIPs', '192.168.0.2'],
    ['spec.nodeName', 'node-1'],
    ['spec.serviceAccountName', 'default'],
  ];
  for (const [path, value] of fields)
    it(`${path} → ${JSON.stringify(value)}`, () => assert.equal(envOf({ env: [ref(path)] }, {}, pod).V, value));

  it('an unsupported field path is an error', () => {
    assert.throws(
      () => envOf({ env: [ref('metadata.labels')] }, {}, pod),
      (e: unknown) => e instanceof BundleError && e.code === 'BAD_FIELD_REF',
    );
    assert.throws(() => envOf({ env: [ref('spec.containers')] }, {}, pod), /not a field/);
  });

  const res = (resource: string, divisor?: string) => ({
    name: 'R',
    valueFrom: { resourceFieldRef: { resource, divisor } },
  });
  const resources = { limits: { cpu: '500m', memory: '64Mi' }, requests: { cpu: '250m' } };
  const cases: [string, string | undefined, string][] = [
    ['limits.cpu', undefined, '1'],
    ['limits.cpu', '1m', '500'],
    ['requests.cpu', '1m', '250'],
    ['requests.cpu', undefined, '1'],
    ['limits.memory', undefined, String(64 * 1024 * 1024)],
    ['limits.memory', '1Mi', '64'],
    ['limits.memory', '1M', '68'],
    ['requests.memory', '1Mi', '64'],
    ['limits.cpu', '0', '1'],
  ];
  for (const [resource, divisor, value] of cases)
    it(`${resource}${divisor ? ` / ${divisor}` : ''} → ${value} (rounded up; unset request takes the limit)`, () => {
      assert.equal(envOf({ resources, env: [res(resource, divisor)] }).R, value);
    });

  it('an unset limit reads as node allocatable, an unset request as 0', () => {
    const env = envOf(
      {
        env: [res('limits.memory', '1Gi'), { ...res('requests.cpu'), name: 'Q' }, { ...res('limits.cpu'), name: 'L' }],
      },
      { nodeAllocatable: { memory: '8Gi', cpu: '2' } },
    );
    assert.deepEqual(env, { R: '8', Q: '0', L: '2' });
  });

  it('an unknown resource is an error', () => {
    assert.throws(
      () => envOf({ env: [res('limits.gpu')] }),
      (e: unknown) => e instanceof BundleError && e.code === 'BAD_RESOURCE_REF',
    );
  });
});

describe('runtime defaults', () => {
  it('PATH defaults when the image has none; HOSTNAME is the pod hostname; defaults come first', () => {
    const env = mergeEnv(['A=1'], new Map([['B', '2']]), { hostname: 'web', tty: false });
    assert.deepEqual(env, [`PATH=${DEFAULT_PATH}`, 'HOSTNAME=web', 'A=1', 'B=2']);
  });

  it('the image PATH replaces the default in place', () => {
    const env = mergeEnv(['PATH=/opt/bin', 'A=x=y'], new Map(), { hostname: 'h', tty: false });
    assert.deepEqual(env, ['PATH=/opt/bin', 'HOSTNAME=h', 'A=x=y']);
  });

  it('TERM=xterm with a tty, overridable by the pod', () => {
    assert.ok(mergeEnv([], new Map(), { hostname: 'h', tty: true }).includes('TERM=xterm'));
    assert.ok(!mergeEnv([], new Map(), { hostname: 'h', tty: false }).some((e) => e.startsWith('TERM=')));
    const env = mergeEnv([], new Map([['TERM', 'dumb']]), { hostname: 'h', tty: true });
    assert.deepEqual(
      env.filter((e) => e.startsWith('TERM=')),
      ['TERM=dumb'],
    );
  });

  it('pod hostname: spec.hostname, else the name cut to 63 characters without trailing - or .', () => {
    assert.equal(podHostname({ ...POD, hostname: 'custom' }), 'custom');
    assert.equal(podHostname(POD), 'web');
    const long = 'a'.repeat(61) + '-.b' + 'c'.repeat(10);
    assert.equal(podHostname({ ...POD, name: long }), 'a'.repeat(61));
  });

  it('every env entry of a built config is NAME=value, one per name', () => {
    const r = buildBundleConfig(
      input(
        {
          tty: true,
          env: [
            { name: 'PATH', value: '/p' },
            { name: 'HOSTNAME', value: 'x' },
          ],
        },
        { image: image({ Cmd: ['/x'], Env: ['PATH=/i'] }) },
      ),
    );
    const names = (r.config.process.env ?? []).map((e) => e.split('=')[0]);
    assert.equal(new Set(names).size, names.length);
    assert.deepEqual(finalEnv(r.config.process.env), { PATH: '/p', HOSTNAME: 'x', TERM: 'xterm' });
  });
});
