// Every rule must survive any JSON value anywhere: the schema reports wrong types, rules skip them. This
// replaces each node of a rich pod (and of its Deployment wrapping) with hostile values and lints the result.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkLimits } from '../../engine/limits/index';
import { lintText } from '../../engine/manifest/lint';
import type { Path } from '../../engine/manifest/types';
import { rng } from '../support/rng';

const RICH = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'rich',
    namespace: 'default',
    labels: { app: 'rich', 'example.com/tier': 'web' },
    annotations: { note: 'x' },
  },
  spec: {
    runtimeClassName: 'pod-wasm',
    terminationGracePeriodSeconds: 30,
    hostNetwork: false,
    shareProcessNamespace: true,
    securityContext: { runAsUser: 1000, fsGroup: 2000, sysctls: [{ name: 'a', value: 'b' }] },
    initContainers: [
      { name: 'setup', image: 'busybox', restartPolicy: 'Always', resources: { limits: { cpu: '1', memory: '1Gi' } }, ports: [{ containerPort: 80 }] },
    ],
    containers: [
      {
        name: 'web',
        image: 'nginx:1.25',
        env: [{ name: 'A', value: 'x' }, { name: 'A', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
        ports: [{ name: 'http', containerPort: 80, hostPort: 8080, protocol: 'TCP' }, { name: 'http', containerPort: 80 }],
        resources: { requests: { cpu: '2', memory: '2Gi' }, limits: { cpu: '1', memory: '16Gi', 'ephemeral-storage': '1Gi' } },
        volumeMounts: [{ name: 'data', mountPath: '/d' }, { name: 'dta', mountPath: '/e' }],
        volumeDevices: [{ name: 'disk', devicePath: '/dev/x' }],
        livenessProbe: { httpGet: { port: 'htp' }, exec: { command: ['ls'] } },
        readinessProbe: { tcpSocket: { port: 80 }, grpc: { port: 9000 } },
        startupProbe: { exec: { command: ['true'] } },
        lifecycle: { preStop: { exec: { command: ['x'] } }, postStart: { httpGet: { port: 'admin' } } },
        securityContext: { privileged: true, allowPrivilegeEscalation: true, capabilities: { add: ['NET_ADMIN'] }, runAsGroup: 1 },
        tty: true,
      },
    ],
    ephemeralContainers: [{ name: 'debug', image: 'busybox', env: [{ name: 'B', value: 'y' }] }],
    volumes: [{ name: 'data', emptyDir: {} }, { name: 'data', hostPath: { path: '/var' } }],
  },
};


const SPECIAL: unknown[] = [
  null, true, false, 0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 1, '', ' ', '0', '-1', '1e999999', '9'.repeat(120), 'x'.repeat(40_000),
  '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'pod-microvm', 'pod-wasm', '8Gi', '500m', 'é'.repeat(300), '\u0000',
  [], [null], [[]], [1, 'a', {}], {}, { __proto__: 1 }, { constructor: { prototype: 1 } }, { name: 7 }, { name: {} },
];

function randomValue(r: () => number, depth = 0): unknown {
  const pick = r();
  if (pick < 0.5 || depth > 2) return SPECIAL[Math.floor(r() * SPECIAL.length)];
  if (pick < 0.75) return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
  const o: Record<string, unknown> = {};
  for (let i = Math.floor(r() * 4); i > 0; i--) o[['name', 'port', 'value', 'cpu', 'memory', 'exec', 'add', 'hostPort'][Math.floor(r() * 8)]] = randomValue(r, depth + 1);
  return o;
}

function paths(v: unknown, base: Path = []): Path[] {
  const out: Path[] = [base];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...base, i])));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...base, k]));
  return out;
}

function withValue(root: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let node = copy;
  for (const seg of path.slice(0, -1)) node = node[seg] as Record<string | number, unknown>;
  node[path[path.length - 1]] = value;
  return copy;
}

function asDeployment(pod: unknown): unknown {
  const p = (pod && typeof pod === 'object' ? pod : {}) as Record<string, unknown>;
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { selector: {}, template: { metadata: p.metadata, spec: p.spec } } };
}

/** Lints the pod; `thorough` also lints it as a Deployment template and runs checkLimits per runtime class. */
function lintAll(pod: unknown, thorough: boolean): void {
  const json = JSON.stringify(pod);
  const context = json.length > 300 ? `${json.slice(0, 300)}…` : json;
  try {
    lintText(json);
    if (!thorough) return;
    lintText(JSON.stringify(asDeployment(pod)));
    for (const rc of [undefined, 'pod-microvm', 'pod-wasm', 'nope']) checkLimits(pod, { runtimeClass: rc });
  } catch (err) {
    assert.fail(`threw ${(err as Error).stack} on ${context}`);
  }
}

describe('fuzz: wrong-typed values never throw', () => {
  it('the rich pod itself produces findings from many rules', () => {
    const rules = new Set(lintText(JSON.stringify(RICH)).findings.map((f) => f.rule));
    for (const r of ['wasm-exec', 'duplicate-volume-name', 'limit-memory', 'requests-exceed-limits', 'probe-port-undeclared', 'duplicate-env-name']) {
      assert.ok(rules.has(r), `expected ${r} in ${[...rules].join(', ')}`);
    }
  });

  it('replaces every node with every special value', { timeout: 120_000 }, () => {
    const all = paths(RICH);
    assert.ok(all.length > 100, `only ${all.length} paths`);
    for (const path of all) for (const v of SPECIAL) lintAll(withValue(RICH, path, v), false);
  });

  it('applies random nested mutations', { timeout: 120_000 }, () => {
    const r = rng(20240601);
    const all = paths(RICH);
    for (let i = 0; i < 400; i++) {
      let pod: unknown = RICH;
      for (let k = 1 + Math.floor(r() * 3); k > 0; k--) {
        const path = all[Math.floor(r() * all.length)];
        try {
          pod = withValue(pod, path, randomValue(r));
        } catch {
          // An earlier mutation removed this path's parent; keep what we have.
        }
      }
      lintAll(pod, true);
    }
  });
});
