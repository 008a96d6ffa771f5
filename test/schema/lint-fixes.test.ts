// The schema reports through lintText: ranges land on the right text and the preferred fixes, applied as
// text edits, turn a broken pod into one the schema accepts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lintText } from '../../engine/manifest/lint';
import { makePositionMapper } from '../../engine/manifest/parse';
import type { Finding, TextEdit } from '../../engine/manifest/types';

const BROKEN = `apiVersion: v1
kind: Pod
metadata:
  name: broken
spec:
  restartPolicy: always
  contianers:
    - name: web
      image: nginx:1.27
      imagePullPolicyy: IfNotPresent
      ports:
        - containerPort: "8080"
          protocol: tcp
      resources:
        limits:
          memory: 1Gb
      env:
        - name: MODE
          value: 1
    - image: busybox
      tty: "true"
`;

function schemaFindings(text: string): Finding[] {
  return lintText(text, { fileName: 'pod.yaml' }).findings.filter((f) => f.rule.startsWith('schema-'));
}

function apply(text: string, edits: TextEdit[]): string {
  const map = makePositionMapper(text);
  const sorted = [...edits].sort((a, b) => map.offsetAt(b.range.start) - map.offsetAt(a.range.start));
  let out = text;
  for (const e of sorted) out = out.slice(0, map.offsetAt(e.range.start)) + e.newText + out.slice(map.offsetAt(e.range.end));
  return out;
}

function textAt(text: string, f: Finding): string {
  const map = makePositionMapper(text);
  return text.slice(map.offsetAt(f.range.start), map.offsetAt(f.range.end));
}

test('findings underline the offending key or value', () => {
  const found = schemaFindings(BROKEN);
  const byRule = (rule: string) => found.filter((f) => f.rule === rule).map((f) => textAt(BROKEN, f));
  assert.deepEqual(byRule('schema-unknown-field').sort(), ['contianers']);
  assert.deepEqual(byRule('schema-enum').sort(), ['always']);
  assert.deepEqual(byRule('schema-format'), []);
  assert.ok(found.every((f) => f.severity === 'error'));
});

test('applying the preferred fixes one by one repairs the pod', () => {
  let text = BROKEN;
  const applied: string[] = [];
  for (let round = 0; round < 20; round++) {
    const fixable = schemaFindings(text).find((f) => f.fixes?.some((x) => x.preferred));
    if (!fixable) break;
    const fix = fixable.fixes!.find((x) => x.preferred)!;
    applied.push(fix.title);
    text = apply(text, fix.edits);
  }
  assert.deepEqual(schemaFindings(text), [], `still broken after ${applied.join(', ')}:\n${text}`);
  assert.ok(applied.includes('Rename to containers'));
  assert.ok(applied.includes('Change to Always'));
  assert.ok(applied.includes('Rename to imagePullPolicy'));
  assert.ok(applied.includes('Write 8080 as a number'));
  assert.ok(applied.includes('Change to TCP'));
  assert.ok(applied.includes('Change to 1Gi'));
  assert.ok(applied.includes('Quote the value: "1"'));
  assert.ok(applied.includes('Add name: app'));
  assert.ok(applied.includes('Write true as a boolean'));
  assert.match(text, /containerPort: 8080\n/);
  assert.match(text, /value: "1"\n/);
  assert.match(text, /- name: app\n {6}image: busybox/);
});
