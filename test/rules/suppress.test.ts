import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lintText } from '../../engine/manifest/lint';
import { findings, lines, none, on } from './helpers';

/** `rule@line` of the findings of the given rules, sorted by line. */
const rules = (text: string, ...ids: string[]) =>
  lintText(text).findings
    .filter((f) => ids.includes(f.rule))
    .sort((a, b) => a.range.start.line - b.range.start.line)
    .map((f) => `${f.rule}@${f.range.start.line}`);

// A pod body with three findings: limit-grace-period (line 1 of it), name-rfc1123 (line 3), limit-memory (line 5).
const body = [
  'spec:',
  '  terminationGracePeriodSeconds: 900',
  '  containers:',
  '  - name: Bad_Name',
  '    image: b',
  '    resources: {limits: {memory: 16Gi}}',
];

describe('podsmith-disable-next-line', () => {
  it('silences only the named rules on the next line', () => {
    const text = lines('apiVersion: v1', 'kind: Pod', 'metadata: {name: p}', 'spec:',
      '  # podsmith-disable-next-line limit-grace-period,limit-memory', '  terminationGracePeriodSeconds: 900',
      '  # podsmith-disable-next-line limit-memory', '  containers: [{name: Bad_Name, image: b, resources: {limits: {memory: 16Gi}}}]');
    assert.deepEqual(rules(text, 'limit-grace-period', 'name-rfc1123', 'limit-memory'), ['name-rfc1123@7']);
  });

  it('with no rule list, silences every rule starting on the next line, and only there', () => {
    const text = lines('apiVersion: v1', 'kind: Pod', 'metadata: {name: p}', 'spec:', '  containers:',
      '  # podsmith-disable-next-line', '  - {name: Bad_Name, image: b, resources: {limits: {memory: 16Gi}}}',
      '  - {name: Other_Name, image: b}');
    assert.deepEqual(rules(text, 'name-rfc1123', 'limit-memory'), ['name-rfc1123@7']);
  });

  it('skips blank lines and further comments, accepts commas or spaces and a -- reason', () => {
    const text = lines('apiVersion: v1', 'kind: Pod', 'metadata: {name: p}', 'spec:', '  containers:',
      '  # podsmith-disable-next-line name-rfc1123, limit-memory limit-image-ref -- legacy name, fixed in v2',
      '', '  # the main container', '  - {name: Bad_Name, image: b, resources: {limits: {memory: 16Gi}}}');
    assert.deepEqual(rules(text, 'name-rfc1123', 'limit-memory', 'suppression-unknown-rule'), []);
  });

  it('works as a trailing comment on the line before', () => {
    const text = lines('apiVersion: v1', 'kind: Pod', 'metadata: {name: p}', 'spec:', '  containers: # podsmith-disable-next-line name-rfc1123',
      '  - {name: Bad_Name, image: b}');
    none(text, 'name-rfc1123');
  });

  it('matches findings by their first line only', () => {
    const text = lines('apiVersion: v1', 'kind: Pod', 'metadata: {name: p}', '# podsmith-disable-next-line', 'spec:',
      '  containers:', '  - {name: Bad_Name, image: b}');
    assert.deepEqual(rules(text, 'name-rfc1123'), ['name-rfc1123@6']);
  });

  it('treats # lines inside a block scalar as content', () => {
    const text = lines('apiVersion: v1', 'kind: Pod', 'metadata:', '  name: p', '  annotations:', '    script: |',
      '      # podsmith-disable-next-line', 'spec:', '  terminationGracePeriodSeconds: 900', '  containers: [{name: a, image: b}]');
    assert.deepEqual(rules(text, 'limit-grace-period'), ['limit-grace-period@8']);
  });
});

describe('podsmith-disable (whole document)', () => {
  const two = (directive: string) => lines(
    directive,
    'apiVersion: v1', 'kind: Pod', 'metadata: {name: p}', ...body,
    '---',
    'apiVersion: v1', 'kind: Pod', 'metadata: {name: q}', ...body,
  );

  it('silences the named rules in its document and not in the next', () => {
    const text = two('# podsmith-disable limit-memory,name-rfc1123');
    assert.deepEqual(rules(text, 'limit-grace-period', 'name-rfc1123', 'limit-memory'),
      ['limit-grace-period@5', 'limit-grace-period@15', 'name-rfc1123@17', 'limit-memory@19']);
  });

  it('with no rule list, silences every rule of its document', () => {
    const text = two('# podsmith-disable');
    assert.deepEqual(rules(text, 'limit-grace-period', 'name-rfc1123', 'limit-memory'),
      ['limit-grace-period@15', 'name-rfc1123@17', 'limit-memory@19']);
  });

  it('applies from anywhere inside the document, including the second one', () => {
    const text = lines('apiVersion: v1', 'kind: Pod', 'metadata: {name: p}', ...body,
      '---', 'apiVersion: v1', 'kind: Pod', 'metadata: {name: q}', ...body.slice(0, 3), '  # podsmith-disable name-rfc1123', ...body.slice(3));
    assert.deepEqual(rules(text, 'name-rfc1123'), ['name-rfc1123@6']);
  });

  it('a comment at the end of a document belongs to that document', () => {
    const text = lines('apiVersion: v1', 'kind: Pod', 'metadata: {name: p}', ...body, '# podsmith-disable limit-grace-period',
      '---', 'apiVersion: v1', 'kind: Pod', 'metadata: {name: q}', ...body);
    assert.deepEqual(rules(text, 'limit-grace-period'), ['limit-grace-period@15']);
  });

  it('a comment after a document end marker belongs to the next document', () => {
    const text = lines('apiVersion: v1', 'kind: Pod', 'metadata: {name: p}', ...body, '...',
      '# podsmith-disable limit-grace-period', '---', 'apiVersion: v1', 'kind: Pod', 'metadata: {name: q}', ...body);
    assert.deepEqual(rules(text, 'limit-grace-period'), ['limit-grace-period@4']);
  });

  it('does not recognise other spellings', () => {
    const text = two('# podsmith-disable-file');
    assert.equal(rules(text, 'limit-grace-period').length, 2);
  });
});

describe('suppression-unknown-rule', () => {
  it('warns on a rule id that does not exist, on the comment', () => {
    const text = lines('# podsmith-disable limit-memroy', 'apiVersion: v1', 'kind: Pod', 'metadata: {name: p}', ...body);
    const fs = findings(text, 'suppression-unknown-rule');
    assert.equal(fs.length, 1);
    assert.equal(fs[0].severity, 'warning');
    assert.deepEqual(fs[0].range, on(text, 0, '# podsmith-disable limit-memroy'));
    assert.match(fs[0].message, /"limit-memroy" is not a Podsmith rule/);
    assert.deepEqual(rules(text, 'limit-memory'), ['limit-memory@9']);
  });
});

describe('JSON', () => {
  it('has no comments, so nothing is suppressed', () => {
    const text = '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"terminationGracePeriodSeconds": 900,\n' +
      ' "containers": [{"name": "a", "image": "podsmith-disable"}]}}\n';
    assert.deepEqual(findings(text, 'limit-grace-period').map((f) => f.range), [on(text, 0, '900')]);
  });
});
