import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { expectOne, findings, fixed, lines, none, range } from './helpers';

const withMeta = (...meta: string[]) =>
  lines('apiVersion: v1', 'kind: Pod', 'metadata:', ...meta, 'spec:', '  containers:', '  - name: app', '    image: busybox');

describe('name-rfc1123', () => {
  it('repairs a pod name: My_App -> my-app', () => {
    const text = withMeta('  name: My_App');
    const f = expectOne(text, 'name-rfc1123', 'error', range(3, 8, 3, 14));
    assert.match(f.message, /Pod name "My_App".*subdomain/);
    assert.equal(f.fixes?.[0].preferred, true);
    assert.equal(fixed(text, f), withMeta('  name: my-app'));
  });

  it('accepts dotted subdomains up to 253 characters and refuses 254', () => {
    const at = (n: number) => 'a'.repeat(60) + '.' + 'b'.repeat(60) + '.' + 'c'.repeat(60) + '.' + 'd'.repeat(n - 183);
    assert.equal(at(253).length, 253);
    none(withMeta(`  name: ${at(253)}`), 'name-rfc1123');
    const f = expectOne(withMeta(`  name: ${at(254)}`), 'name-rfc1123', 'error', range(3, 8, 3, 262));
    assert.match(f.message, /254 characters long \(at most 253\)/);
  });

  it('checks the namespace as a 63-character label', () => {
    none(withMeta('  name: p', `  namespace: ${'n'.repeat(63)}`), 'name-rfc1123');
    const text = withMeta('  name: p', `  namespace: ${'n'.repeat(64)}`);
    const f = expectOne(text, 'name-rfc1123', 'error', range(4, 13, 4, 77));
    assert.equal(fixed(text, f), withMeta('  name: p', `  namespace: ${'n'.repeat(63)}`));
    const dotted = withMeta('  name: p', '  namespace: team.a');
    assert.equal(fixed(dotted, one1(dotted)), withMeta('  name: p', '  namespace: team-a'));
  });

  it('checks init, app and ephemeral container names', () => {
    const text = lines('apiVersion: v1', 'kind: Pod', 'metadata:', '  name: p', 'spec:',
      '  initContainers:', '  - {name: Init_1, image: busybox}',
      '  containers:', '  - {name: "-web-", image: busybox}',
      '  ephemeralContainers:', `  - {name: ${'d'.repeat(64)}, image: busybox}`);
    const fs = findings(text, 'name-rfc1123');
    assert.deepEqual(fs.map((f) => f.range), [range(6, 11, 6, 17), range(8, 11, 8, 18), range(10, 11, 10, 75)]);
    assert.match(fs[0].message, /^Init container name "Init_1"/);
    assert.equal(fixed(text, fs[0]).split('\n')[6], '  - {name: init-1, image: busybox}');
    assert.equal(fixed(text, fs[1]).split('\n')[8], '  - {name: "web", image: busybox}');
    assert.match(fs[2].message, /^Ephemeral container name/);
  });

  it('checks volume names but never auto-applies the rename', () => {
    const text = lines('apiVersion: v1', 'kind: Pod', 'metadata:', '  name: p', 'spec:', '  containers:', '  - {name: a, image: b}',
      '  volumes:', '  - {name: Data, emptyDir: {}}');
    const f = expectOne(text, 'name-rfc1123', 'error', range(8, 11, 8, 15));
    assert.ok(f.fixes?.[0] && !f.fixes[0].preferred);
  });

  it('leaves a template without a name alone, and ignores names of the wrong type', () => {
    none(lines('apiVersion: v1', 'kind: Pod', 'metadata:', '  name: 42', 'spec:', '  containers:', '  - {name: [x], image: b}'), 'name-rfc1123');
  });
});

function one1(text: string) {
  const fs = findings(text, 'name-rfc1123');
  assert.equal(fs.length, 1);
  return fs[0];
}

describe('label and annotation keys and values', () => {
  it('accepts prefixed keys and valid values', () => {
    const text = withMeta('  name: p', '  labels:', '    app.kubernetes.io/name: web', '    tier: ""', '    v: 1.2_x-Y');
    for (const rule of ['label-key-syntax', 'label-value-syntax', 'limit-label-key']) none(text, rule);
  });

  it('refuses a key with two slashes or a bad name part, with a rename fix', () => {
    const text = withMeta('  name: p', '  labels:', '    a/b/c: x', '    "-bad": x');
    const fs = findings(text, 'label-key-syntax');
    assert.deepEqual(fs.map((f) => f.range), [range(5, 4, 5, 9), range(6, 4, 6, 10)]);
    assert.equal(fs.every((f) => f.severity === 'error'), true);
    assert.match(fs[0].message, /at most one "\/"/);
    assert.equal(fixed(text, fs[1]), withMeta('  name: p', '  labels:', '    a/b/c: x', '    "bad": x'));
  });

  it('refuses a name part of 64 characters but not 63', () => {
    none(withMeta('  name: p', '  labels:', `    example.com/${'k'.repeat(63)}: x`), 'label-key-syntax');
    expectOne(withMeta('  name: p', '  labels:', `    example.com/${'k'.repeat(64)}: x`), 'label-key-syntax', 'error', range(5, 4, 5, 80));
  });

  it('limit-label-key: 253 bytes pass, 254 fail, for labels and annotations', () => {
    const key = (n: number) => `${'p'.repeat(n - 11)}.io/k123456`;
    const ok = withMeta('  name: p', '  annotations:', `    ${key(253)}: x`);
    none(ok, 'limit-label-key');
    const text = withMeta('  name: p', '  annotations:', `    ${key(254)}: x`);
    const f = expectOne(text, 'limit-label-key', 'error', range(5, 4, 5, 258));
    assert.match(f.message, /^Annotation key is 254 bytes; the limit is 253/);
    none(text, 'label-key-syntax');
  });

  it('refuses bad label values, with a fix that is not applied on its own', () => {
    const text = withMeta('  name: p', '  labels:', '    app: "hello world!"');
    const f = expectOne(text, 'label-value-syntax', 'error', range(5, 9, 5, 23));
    assert.ok(f.fixes?.[0] && !f.fixes[0].preferred);
    assert.equal(fixed(text, f), withMeta('  name: p', '  labels:', '    app: "hello-world"'));
    none(withMeta('  name: p', '  labels:', `    app: ${'v'.repeat(63)}`), 'label-value-syntax');
    expectOne(withMeta('  name: p', '  labels:', `    app: ${'v'.repeat(64)}`), 'label-value-syntax', 'error', range(5, 9, 5, 73));
  });

  it('checks annotation keys case-insensitively, as the API server does', () => {
    none(withMeta('  name: p', '  annotations:', '    Example.COM/Note: x'), 'label-key-syntax');
    expectOne(withMeta('  name: p', '  labels:', '    Example.COM/Note: x'), 'label-key-syntax', 'error', range(5, 4, 5, 20));
  });

  it('does not check annotation values', () => {
    none(withMeta('  name: p', '  annotations:', '    note: "any text at all, even: this!"'), 'label-value-syntax');
  });
});
