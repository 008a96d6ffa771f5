// Secret values never appear in a finding: messages reach the daemon log, the event history and CI output.
// Each wrong value below carries a marker; the findings still name the field and sit on its line.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lintText } from '../../engine/manifest/lint';
import type { Finding } from '../../engine/manifest/types';
import { lines } from './helpers';

const MARK = '931753';

/** Every text of a finding a user or a log could see: the message and the fix titles. */
function visible(f: Finding): string[] {
  return [f.message, ...(f.fixes ?? []).map((x) => x.title)];
}

function assertNoMarker(findings: Finding[]): void {
  for (const f of findings) for (const text of visible(f)) assert.ok(!text.includes(MARK), `${f.rule} quotes the secret: ${text}`);
}

describe('secret values in findings', () => {
  const secret = lines(
    'apiVersion: v1',
    'kind: Secret',
    'metadata:',
    '  name: db',
    `  creationTimestamp: "x${MARK}"`,
    `type: ${MARK}`,
    `immutable: "${MARK}"`,
    'data:',
    `  password: ${MARK}`,
    `  token: "${MARK}!!"`,
    'stringData:',
    `  user: ${MARK}`,
    `  pin: ${MARK}.5`,
    '  flag: true',
  );

  it('never quotes a value of a Secret document, yet names the field and its line', () => {
    const findings = lintText(secret).findings;
    assertNoMarker(findings);
    const at = (field: string, line: number, rule: string) => {
      const f = findings.find((x) => x.range.start.line === line);
      assert.ok(f, `no finding on line ${line + 1}: ${JSON.stringify(findings.map((x) => x.message))}`);
      assert.equal(f.rule, rule);
      assert.match(f.message, new RegExp(`\\b${field}\\b`));
      return f;
    };
    at('creationTimestamp', 4, 'schema-format');
    assert.match(at('type', 5, 'schema-type').message, /expected a string, got an integer/);
    assert.match(at('immutable', 6, 'schema-type').message, /expected a boolean, got a string/);
    at('data.password', 8, 'schema-type');
    at('data.token', 9, 'schema-format');
    assert.match(at('stringData.user', 11, 'schema-type').message, /got an integer\. Quote it\./);
    assert.match(at('stringData.pin', 12, 'schema-type').message, /got a number/);
    assert.match(at('stringData.flag', 13, 'schema-type').message, /got a boolean/);
    // The fix still repairs the value; only its title keeps quiet about it.
    const user = findings.find((x) => x.range.start.line === 11)!;
    assert.equal(user.fixes?.[0].title, 'Quote the value');
    assert.equal(user.fixes?.[0].edits[0].newText, `"${MARK}"`);
  });

  it('keeps quiet in JSON, in the apiVersion, and in a syntax error inside a Secret', () => {
    const json = JSON.stringify({ apiVersion: `v${MARK}`, kind: 'Secret', metadata: { name: 's' }, stringData: { key: Number(MARK) } }, null, 2);
    const findings = lintText(json, { fileName: 'secret.json' }).findings;
    assert.deepEqual(findings.map((f) => f.rule).sort(), ['api-version', 'schema-type']);
    assertNoMarker(findings);
    // Unquoted in JSON: a syntax error, which never quotes the text either.
    const broken = json.replace(`"stringData": {\n    "key": ${MARK}`, `"stringData": {\n    "key": x${MARK}`);
    assert.notEqual(broken, json);
    const syntax = lintText(broken, { fileName: 'secret.json' }).findings;
    assert.deepEqual(syntax.map((f) => f.rule), ['json-syntax']);
    assertNoMarker(syntax);
    // A YAML block scalar header with text after it.
    const header = lintText(lines('apiVersion: v1', 'kind: Secret', 'stringData:', `  key: |x${MARK}`, '    body')).findings;
    assert.ok(header.length > 0);
    assertNoMarker(header);
  });

  it('never quotes the value of an env var whose name suggests a credential', () => {
    const pod = lines(
      'apiVersion: v1',
      'kind: Pod',
      'metadata: {name: p}',
      'spec:',
      '  containers:',
      '  - name: a',
      '    image: b',
      '    env:',
      `    - {name: DB_PASSWORD, value: ${MARK}}`,
      `    - {name: API_TOKEN, value: ${MARK}}`,
      `    - {value: ${MARK}}`,
      '    - {name: REPLICAS, value: 3}',
    );
    const findings = lintText(pod).findings.filter((f) => f.rule === 'schema-type');
    assert.equal(findings.length, 4);
    assertNoMarker(findings);
    assert.deepEqual(findings.map((f) => f.range.start.line), [8, 9, 10, 11]);
    // An ordinary variable still shows what was written, which helps more than it risks.
    assert.match(findings[3].message, /got integer 3/);
  });
});
