import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lintText, parseText, rangeOf, classify, pathAt } from '../../engine/manifest';

const POD = `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
    - name: app
      image: busybox
`;

describe('parsing', () => {
  it('reports a YAML syntax error at its position', () => {
    const text = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: [web\n';
    const f = lintText(text).findings.filter((x) => x.rule === 'yaml-syntax');
    assert.ok(f.length >= 1);
    assert.ok(f[0].range.start.line >= 3, JSON.stringify(f[0].range));
    assert.match(f[0].message, /flow sequence|\]/i);
  });

  it('reports duplicate keys as syntax errors on the second key', () => {
    const f = lintText('apiVersion: v1\nkind: Pod\nkind: Pod\n').findings;
    assert.equal(f[0].rule, 'yaml-syntax');
    assert.equal(f[0].range.start.line, 2);
  });

  it('stops an alias bomb with one clear finding', { timeout: 10_000 }, () => {
    const lines = ['apiVersion: v1', 'kind: Pod', 'a: &a ["x","x","x","x","x","x","x","x","x"]'];
    let prev = 'a';
    for (const n of ['b', 'c', 'd', 'e', 'f', 'g', 'h']) {
      lines.push(`${n}: &${n} [${Array(9).fill('*' + prev).join(',')}]`);
      prev = n;
    }
    const f = lintText(lines.join('\n') + '\n').findings;
    assert.equal(f.filter((x) => x.rule === 'yaml-alias-limit').length, 1);
  });

  it('survives very deep nesting', { timeout: 10_000 }, () => {
    const f = lintText('apiVersion: v1\nkind: Pod\nspec: ' + '['.repeat(50_000)).findings;
    assert.ok(f.some((x) => x.rule === 'yaml-too-deep' || x.rule === 'yaml-syntax'));
  });

  it('refuses closed nesting deep enough to overflow the stack, every time, without crashing', { timeout: 60_000 }, () => {
    // The yaml library composes recursively; an overflow inside V8's regexp compiler aborts the process
    // (this test process, before the depth guard), so depth is refused before composing.
    for (const n of [2_000, 20_000]) {
      const flow = 'apiVersion: v1\nkind: Pod\nspec: ' + '['.repeat(n) + ']'.repeat(n) + '\n';
      const json = '{"apiVersion": "v1", "kind": "Pod", "spec": ' + '['.repeat(n) + ']'.repeat(n) + '}';
      const dashes = 'apiVersion: v1\nkind: Pod\nspec:\n' + '- '.repeat(n) + 'x\n';
      for (let round = 0; round < 2; round++) {
        for (const [text, fileName] of [[flow, 'p.yaml'], [json, 'p.json'], [dashes, 'p.yaml']]) {
          const f = lintText(text, { fileName }).findings;
          assert.deepEqual(f.map((x) => x.rule), ['yaml-too-deep'], `${fileName} ${n}`);
          assert.equal(f[0].range.start.line, fileName === 'p.json' ? 0 : text === dashes ? 3 : 2);
        }
      }
    }
    // Real manifests nest a few dozen levels; a few hundred still parse.
    const fine = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, annotations: {a: ' + JSON.stringify(JSON.stringify(JSON.parse('['.repeat(300) + ']'.repeat(300)))) + '}}\n';
    assert.deepEqual(lintText(fine).findings, []);
    const nested = 'apiVersion: v1\nkind: Pod\nx: ' + '['.repeat(300) + ']'.repeat(300) + '\n';
    assert.ok(!lintText(nested, { fullParse: true }).findings.some((x) => x.rule === 'yaml-too-deep'));
  });

  it('rejects binary junk and files over 1 MiB with a single finding', () => {
    assert.deepEqual(lintText('\u0000\u0001\u0002PNG').findings.map((x) => x.rule), ['not-text']);
    const big = 'apiVersion: v1\nkind: Pod\n' + '# pad\n'.repeat(200_000);
    assert.deepEqual(lintText(big).findings.map((x) => x.rule), ['manifest-too-large']);
    assert.match(lintText(big).findings[0].message, /1048576 bytes/);
  });

  it('leaves unrelated YAML alone, even when it is broken', () => {
    assert.deepEqual(lintText('services:\n  web:\n    image: nginx\n').findings, []);
    assert.deepEqual(lintText('on: [push\njobs: {}\n').findings, []);
    assert.deepEqual(lintText('').findings, []);
  });

  it('parses JSON with exact ranges', () => {
    const text = '{\n  "apiVersion": "v1",\n  "kind": "Pod",\n  "metadata": {"name": "x"}\n}\n';
    const file = parseText(text);
    const doc = classify(file.documents[0]);
    assert.equal(doc.role, 'pod');
    const r = rangeOf(file, doc, ['metadata', 'name'], 'value');
    assert.deepEqual(r, { start: { line: 3, character: 23 }, end: { line: 3, character: 26 } });
  });

  it('classifies documents in a multi-document file', () => {
    const text = [POD, 'apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec: {}\n', 'apiVersion: v1\nkind: ConfigMap\n', 'apiVersion: v1\nkind: Secret\n', 'apiVersion: v1\nkind: Service\n', 'just: yaml\n'].join('---\n');
    const roles = lintText(text).documents.map((d) => d.role);
    assert.deepEqual(roles, ['pod', 'workload', 'configmap', 'secret', 'other-kube', 'unrelated']);
    const cron = lintText('apiVersion: batch/v1\nkind: CronJob\n').documents[0];
    assert.deepEqual(cron.podPath, ['spec', 'jobTemplate', 'spec', 'template']);
  });

  it('maps offsets back to paths', () => {
    const file = parseText(POD);
    const doc = file.documents[0];
    const at = pathAt(doc, POD.indexOf('busybox') + 2);
    assert.deepEqual(at.path, ['spec', 'containers', 0, 'image']);
    assert.equal(at.on, 'value');
    const key = pathAt(doc, POD.indexOf('image') + 1);
    assert.deepEqual(key.path, ['spec', 'containers', 0, 'image']);
    assert.equal(key.on, 'key');
  });

  it('pins a missing path to its deepest existing key', () => {
    const file = parseText(POD);
    const r = rangeOf(file, file.documents[0], ['spec', 'containers', 0, 'resources', 'limits']);
    assert.deepEqual(r.start, { line: 6, character: 6 }); // the `name` key that starts container 0's mapping
  });

  it('flags a wrong apiVersion for a known kind, with a fix', () => {
    const text = POD.replace('apiVersion: v1', 'apiVersion: apps/v1');
    const f = lintText(text).findings.find((x) => x.rule === 'api-version');
    assert.ok(f);
    assert.deepEqual(f.range, { start: { line: 0, character: 12 }, end: { line: 0, character: 19 } });
    assert.equal(f.fixes?.[0].edits[0].newText, 'v1');
  });
});
