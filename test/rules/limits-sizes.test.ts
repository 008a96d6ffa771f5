import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { expectOne, fixed, none, pod, range } from './helpers';

describe('limit-grace-period', () => {
  it('passes 300 and clamps 600 to 300', () => {
    none(pod('  terminationGracePeriodSeconds: 300', '  containers:', '  - {name: a, image: b}'), 'limit-grace-period');
    const text = pod('  terminationGracePeriodSeconds: 600', '  containers:', '  - {name: a, image: b}');
    const f = expectOne(text, 'limit-grace-period', 'error', range(5, 33, 5, 36));
    assert.match(f.message, /600.*at most 300/);
    assert.equal(fixed(text, f), pod('  terminationGracePeriodSeconds: 300', '  containers:', '  - {name: a, image: b}'));
  });

  it('does not cap a probe\'s own grace period, and ignores strings', () => {
    none(pod('  containers:', '  - name: a', '    image: b', '    livenessProbe:', '      terminationGracePeriodSeconds: 900',
      '      tcpSocket: {port: 80}'), 'limit-grace-period');
    none(pod('  terminationGracePeriodSeconds: "900"', '  containers:', '  - {name: a, image: b}'), 'limit-grace-period');
  });
});

describe('limit-image-ref', () => {
  it('passes 512 bytes and refuses 513, on the image value', () => {
    const image = (n: number) => `registry.example.com/${'r'.repeat(n - 25)}:1.0`;
    assert.equal(image(512).length, 512);
    none(pod('  containers:', '  - name: a', `    image: ${image(512)}`), 'limit-image-ref');
    const f = expectOne(pod('  containers:', '  - name: a', `    image: ${image(513)}`), 'limit-image-ref', 'error', range(7, 11, 7, 524));
    assert.match(f.message, /container "a" is 513 bytes; the limit is 512/);
  });

  it('counts UTF-8 bytes, not characters, and checks init containers', () => {
    // 256 two-byte characters are 512 bytes; one more ASCII byte tips it over.
    const text = pod('  initContainers:', '  - name: i', `    image: x${'é'.repeat(256)}`, '  containers:', '  - {name: a, image: b}');
    expectOne(text, 'limit-image-ref', 'error', range(7, 11, 7, 268));
  });
});

describe('limit-env-value-size', () => {
  it('passes 32768 bytes and refuses 32769, on the value', () => {
    const env = (n: number) => pod('  containers:', '  - name: a', '    image: b', '    env:', '    - name: BIG', `      value: ${'v'.repeat(n)}`);
    none(env(32768), 'limit-env-value-size');
    const f = expectOne(env(32769), 'limit-env-value-size', 'error', range(10, 13, 10, 13 + 32769));
    assert.match(f.message, /"BIG" of container "a" is 32769 bytes; the limit is 32768/);
  });

  it('ignores valueFrom and non-string values', () => {
    none(pod('  containers:', '  - name: a', '    image: b', '    env:', '    - {name: A, value: 12}',
      '    - {name: B, valueFrom: {fieldRef: {fieldPath: metadata.name}}}'), 'limit-env-value-size');
  });
});
