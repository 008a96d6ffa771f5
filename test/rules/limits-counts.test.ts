import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { expectOne, lines, none, pod, range } from './helpers';

function containers(n: number, key = 'containers'): string[] {
  const out = [`  ${key}:`];
  for (let i = 0; i < n; i++) out.push(`  - name: c${i}`, '    image: busybox');
  return out;
}

describe('limit-containers / limit-init-containers', () => {
  it('passes 16 containers and refuses 17, on the containers key', () => {
    none(pod(...containers(16)), 'limit-containers');
    const f = expectOne(pod(...containers(17)), 'limit-containers', 'error', range(5, 2, 5, 12));
    assert.match(f.message, /17.*limit is 16/);
  });

  it('passes 16 init containers and refuses 17', () => {
    none(pod(...containers(1), ...containers(16, 'initContainers')), 'limit-init-containers');
    expectOne(pod(...containers(1), ...containers(17, 'initContainers')), 'limit-init-containers', 'error', range(8, 2, 8, 16));
  });
});

describe('limit-volumes', () => {
  const volumes = (n: number) => ['  volumes:', ...Array.from({ length: n }, (_, i) => `  - {name: v${i}, emptyDir: {}}`)];
  it('passes 64 volumes and refuses 65', () => {
    none(pod(...containers(1), ...volumes(64)), 'limit-volumes');
    const f = expectOne(pod(...containers(1), ...volumes(65)), 'limit-volumes', 'error', range(8, 2, 8, 9));
    assert.match(f.message, /65.*64/);
  });
});

describe('limit-env-count', () => {
  const env = (n: number) => ['    env:', ...Array.from({ length: n }, (_, i) => `    - {name: V${i}, value: x}`)];
  it('passes 256 env vars and refuses 257, on the env key', () => {
    none(pod(...containers(1), ...env(256)), 'limit-env-count');
    const f = expectOne(pod(...containers(1), ...env(257)), 'limit-env-count', 'error', range(8, 4, 8, 7));
    assert.match(f.message, /container "c0".*257.*256/);
  });

  it('counts init and ephemeral containers too', () => {
    const text = pod(...containers(1), '  ephemeralContainers:', '  - name: debug', '    image: busybox', ...env(257));
    expectOne(text, 'limit-env-count', 'error', range(11, 4, 11, 7));
  });
});

describe('limit-labels / limit-annotations', () => {
  const meta = (key: string, n: number) =>
    lines('apiVersion: v1', 'kind: Pod', 'metadata:', '  name: p', `  ${key}:`,
      ...Array.from({ length: n }, (_, i) => `    k${i}: v`), 'spec:', '  containers:', '  - {name: a, image: b}');
  it('passes 64 labels and refuses 65', () => {
    none(meta('labels', 64), 'limit-labels');
    expectOne(meta('labels', 65), 'limit-labels', 'error', range(4, 2, 4, 8));
  });
  it('passes 64 annotations and refuses 65', () => {
    none(meta('annotations', 64), 'limit-annotations');
    expectOne(meta('annotations', 65), 'limit-annotations', 'error', range(4, 2, 4, 13));
  });
});
