import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { expectOne, findings, fixed, none, on, pod } from './helpers';

const res = (requests: string, limits: string) =>
  pod('  containers:', '  - name: a', '    image: b', '    resources:', `      requests: {${requests}}`, `      limits: {${limits}}`);

describe('requests-exceed-limits', () => {
  it('lowers a cpu request above its limit to the limit', () => {
    const text = res('cpu: 1500m', 'cpu: 1');
    const f = expectOne(text, 'requests-exceed-limits', 'error', on(text, 9, '1500m'));
    assert.match(f.message, /"cpu" request 1500m of container "a" is above its limit 1/);
    assert.equal(fixed(text, f), res('cpu: 1', 'cpu: 1'));
  });

  it('compares quantities numerically, for memory and ephemeral-storage too', () => {
    none(res('memory: 1536Mi', 'memory: 1.5Gi'), 'requests-exceed-limits');
    none(res('cpu: "0.5"', 'cpu: 500m'), 'requests-exceed-limits');
    // 2G is below 1.9Gi (2000000000 < 2040109465.6); 2Gi is above both.
    none(res('memory: 2G', 'memory: 1.9Gi'), 'requests-exceed-limits');
    const text = res('memory: 2Gi, ephemeral-storage: 2Gi', 'memory: 1.9Gi, ephemeral-storage: 2G');
    const fs = findings(text, 'requests-exceed-limits');
    assert.deepEqual(fs.map((f) => f.range), [on(text, 9, '2Gi'), on(text, 9, '2Gi', 1)]);
    assert.equal(fixed(text, fs[1]), res('memory: 2Gi, ephemeral-storage: 2G', 'memory: 1.9Gi, ephemeral-storage: 2G'));
  });

  it('ignores requests without a limit and unparsable values', () => {
    none(res('cpu: 4', 'memory: 1Gi'), 'requests-exceed-limits');
    none(res('cpu: lots', 'cpu: 1'), 'requests-exceed-limits');
  });
});

describe('duplicate-env-name', () => {
  it('warns on the second definition in one container only', () => {
    const text = pod('  containers:', '  - name: a', '    image: b', '    env:', '    - {name: MODE, value: a}', '    - {name: OTHER, value: b}',
      '    - {name: MODE, value: c}', '  - name: c', '    image: b', '    env: [{name: MODE, value: d}]');
    const f = expectOne(text, 'duplicate-env-name', 'warning', on(text, 11, 'MODE'));
    assert.match(f.message, /"MODE" is set again in container "a" \(first at env #1\)/);
  });
});
