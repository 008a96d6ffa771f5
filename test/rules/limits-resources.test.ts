import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compare, formatBytes, formatCpu, parseQuantity, quantityOf } from '../../engine/limits/quantity';
import { expectOne, findings, fixed, none, pod, range } from './helpers';

describe('quantities', () => {
  const bytes = (v: unknown) => parseQuantity(v);
  const eq = (a: unknown, b: number | bigint) => {
    const q = bytes(a);
    assert.ok(q, `${String(a)} should parse`);
    assert.equal(compare(q, quantityOf(b)), 0, `${String(a)} == ${b}`);
  };

  it('reads binary, decimal, exponent and milli suffixes exactly', () => {
    eq('8Gi', 8n << 30n);
    eq('8192Mi', 8n << 30n);
    eq(8589934592, 8n << 30n);
    eq('8589934592', 8n << 30n);
    eq('9G', 9_000_000_000);
    eq('1e10', 10_000_000_000);
    eq(1e10, 10_000_000_000);
    eq('1E3', 1000);
    eq('1E', 10n ** 18n);
    eq('0.5Gi', 1n << 29n);
    eq('8589934592000m', 8n << 30n);
    eq('.5k', 500);
    eq('2', 2);
    assert.equal(compare(bytes('500m')!, bytes('0.5')!), 0);
    assert.equal(compare(bytes(0.5)!, bytes('0.5')!), 0);
    assert.equal(compare(bytes('100u')!, bytes('0.1m')!), 0);
    assert.equal(compare(bytes('-1')!, quantityOf(0)), -1);
  });

  it('rejects malformed text and other types', () => {
    for (const v of ['', 'abc', '12Mb', '1.2.3', '5 Gi', 'Gi', '1e', '0x10', null, true, {}, [], Infinity, NaN, '9'.repeat(200)]) {
      assert.equal(parseQuantity(v), undefined, JSON.stringify(v));
    }
  });

  it('formats for fixes', () => {
    assert.equal(formatBytes(parseQuantity('8192Mi')!), '8Gi');
    assert.equal(formatBytes(parseQuantity('1.5Gi')!), '1536Mi');
    assert.equal(formatBytes(parseQuantity('1000')!), '1000');
    assert.equal(formatCpu(parseQuantity('0.25')!), '250m');
    assert.equal(formatCpu(parseQuantity('2000m')!), '2');
    assert.equal(formatCpu(parseQuantity('0.0001')!), '1m');
  });
});

const withMemory = (kind: string, value: string) =>
  pod('  containers:', '  - name: a', '    image: b', '    resources:', `      ${kind}:`, `        memory: ${value}`);

describe('limit-memory', () => {
  it('accepts exactly 8 GiB however it is written', () => {
    for (const v of ['8Gi', '8192Mi', '8589934592', '"8589934592000m"', '0.5Gi', '8G']) none(withMemory('limits', v), 'limit-memory');
  });

  it('refuses one byte over, 9G and 1e10, on the value', () => {
    for (const v of ['8589934593', '9G', '1e10', '16Gi']) {
      expectOne(withMemory('limits', v), 'limit-memory', 'error', range(10, 16, 10, 16 + v.length));
    }
  });

  it('clamps 16Gi to 8Gi, for requests too', () => {
    const text = withMemory('requests', '16Gi');
    const f = expectOne(text, 'limit-memory', 'error', range(10, 16, 10, 20));
    assert.match(f.message, /Memory request 16Gi \(16 GiB\) of container "a".*8Gi/);
    assert.equal(fixed(text, f), withMemory('requests', '8Gi'));
    const quoted = withMemory('limits', "'12Gi'");
    assert.equal(fixed(quoted, findings(quoted, 'limit-memory')[0]), withMemory('limits', "'8Gi'"));
  });

  it('ignores malformed quantities (the schema reports them)', () => {
    none(withMemory('limits', 'lots'), 'limit-memory');
    none(withMemory('limits', '[1, 2]'), 'limit-memory');
  });
});

function microvm(rc: string, ...containers: string[]): string {
  return pod(`  runtimeClassName: ${rc}`, '  containers:', ...containers);
}
const cpu = (name: string, value: string) => `  - {name: ${name}, image: b, resources: {limits: {cpu: ${value}}}}`;
const mem = (name: string, value: string) => `  - {name: ${name}, image: b, resources: {limits: {memory: ${value}}}}`;

describe('limit-microvm-cpu', () => {
  it('passes 8 vCPUs in total and refuses more, on the container that crosses the line', () => {
    none(microvm('pod-microvm-containers', cpu('a', '4'), cpu('b', '"4000m"')), 'limit-microvm-cpu');
    none(microvm('pod-microvm', ...Array.from({ length: 16 }, (_, i) => cpu(`c${i}`, '500m'))), 'limit-microvm-cpu');
    none(microvm('pod-microvm', ...Array.from({ length: 16 }, (_, i) => cpu(`c${i}`, '0.5'))), 'limit-microvm-cpu');
    const text = microvm('pod-microvm', cpu('a', '4'), cpu('b', '4001m'), cpu('c', '1'));
    const f = expectOne(text, 'limit-microvm-cpu', 'error', range(8, 50, 8, 55));
    assert.match(f.message, /^Container "b" brings the pod's cpu limits to 8001m \(all containers together: 9001m\); runtime class pod-microvm gives a pod at most 8 vCPUs/);
    assert.equal(fixed(text, f), microvm('pod-microvm', cpu('a', '4'), cpu('b', '4'), cpu('c', '1')));
  });

  it('does not apply to other runtime classes', () => {
    none(microvm('pod-containers', cpu('a', '16')), 'limit-microvm-cpu');
    none(pod('  containers:', cpu('a', '16')), 'limit-microvm-cpu');
  });

  it('counts sidecars with the app containers, and a plain init container on its own', () => {
    const text = pod('  runtimeClassName: pod-microvm-containers',
      '  initContainers:',
      '  - {name: side, image: b, restartPolicy: Always, resources: {limits: {cpu: 2}}}',
      '  - {name: setup, image: b, resources: {limits: {cpu: 7}}}',
      '  containers:', cpu('a', '6'), cpu('b', '1'));
    const fs = findings(text, 'limit-microvm-cpu');
    assert.deepEqual(fs.map((f) => f.range), [range(8, 54, 8, 55), range(11, 50, 11, 51)]);
    assert.match(fs[0].message, /Init container "setup" has a cpu limit of 7 \(2 more for the sidecars/);
    assert.equal(fixed(text, fs[0]).split('\n')[8], '  - {name: setup, image: b, resources: {limits: {cpu: 6}}}');
  });
});

describe('limit-microvm-memory', () => {
  it('passes 4096 MiB in total and refuses 4097 MiB', () => {
    none(microvm('pod-microvm', mem('a', '2048Mi'), mem('b', '2Gi')), 'limit-microvm-memory');
    const text = microvm('pod-microvm', mem('a', '2048Mi'), mem('b', '2049Mi'));
    const f = expectOne(text, 'limit-microvm-memory', 'error', range(8, 53, 8, 59));
    assert.match(f.message, /4097Mi.*4096 MiB/);
    assert.equal(fixed(text, f), microvm('pod-microvm', mem('a', '2048Mi'), mem('b', '2Gi')));
  });

  it('offers no clamp when earlier containers already use the whole budget', () => {
    const text = microvm('pod-microvm', mem('a', '4Gi'), mem('b', '1Mi'));
    const f = expectOne(text, 'limit-microvm-memory', 'error', range(8, 53, 8, 56));
    assert.equal(f.fixes, undefined);
  });
});
