import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hoverAt } from '../../engine/manifest/assist/hover';
import { cursor, fakeDescribe } from './fixtures';

function hover(src: string) {
  const { text, offset } = cursor(src);
  return hoverAt(text, offset, { describe: fakeDescribe });
}

const POD = (body: string) => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n${body}`;

describe('hover', () => {
  it('describes a field: type, required, description and enum values', () => {
    const h = hover(POD('spec:\n  containers:\n  - name: web\n    imagePull|Policy: Always\n'));
    assert.ok(h);
    assert.match(h.contents, /\*\*imagePullPolicy\*\*/);
    assert.match(h.contents, /`string`/);
    assert.match(h.contents, /When to pull the image\./);
    assert.match(h.contents, /Allowed values: `Always`, `IfNotPresent`, `Never`/);
    assert.deepEqual(h.range, { start: { line: 7, character: 4 }, end: { line: 7, character: 19 } });
  });

  it('works on the value as well as the key', () => {
    const h = hover(POD('spec:\n  containers:\n  - name: web\n    imagePullPolicy: Alw|ays\n'));
    assert.match(h!.contents, /imagePullPolicy/);
    assert.equal(h!.range!.start.character, 21);
  });

  it('marks required fields', () => {
    assert.match(hover(POD('spec:\n  containers:\n  - na|me: web\n'))!.contents, /required/);
  });

  const limits: [string, string, RegExp][] = [
    ['terminationGracePeriodSeconds', POD('spec:\n  terminationGrace|PeriodSeconds: 30\n'), /Podsmith limit: at most 300 s/],
    ['containers', POD('spec:\n  contain|ers:\n  - name: web\n'), /Podsmith limit: at most 16 containers/],
    ['initContainers', POD('spec:\n  initContain|ers:\n  - name: init\n'), /Podsmith limit: at most 16 init containers/],
    ['env', POD('spec:\n  containers:\n  - name: web\n    en|v:\n    - name: A\n'), /Podsmith limit: at most 256 variables per container/],
    ['volumes', POD('spec:\n  volu|mes:\n  - name: v\n'), /Podsmith limit: at most 64 volumes/],
    ['image', POD('spec:\n  containers:\n  - name: web\n    ima|ge: nginx\n'), /Podsmith limit: at most 512 bytes/],
    ['memory', POD('spec:\n  containers:\n  - name: web\n    resources:\n      limits:\n        mem|ory: 1Gi\n'), /Podsmith limit: at most 8 GiB per container/],
    ['metadata.name', 'apiVersion: v1\nkind: Pod\nmetadata:\n  na|me: web\n', /Podsmith limit: an RFC 1123 subdomain of at most 253 characters/],
    ['container name', POD('spec:\n  containers:\n  - name: w|eb\n'), /Podsmith limit: an RFC 1123 label of at most 63 characters/],
    ['labels', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  lab|els:\n    app: web\n', /Podsmith limit: at most 64 labels/],
    ['runtimeClassName', POD('spec:\n  runtimeClass|Name: pod-wasm\n'), /Podsmith limit: one of `pod-containers`, `pod-wasm`, `pod-microvm-containers`.*at most 8 vCPUs and 4096 MiB/],
  ];
  for (const [name, src, expected] of limits) {
    it(`names the Podsmith limit on ${name}`, () => {
      const h = hover(src);
      assert.ok(h, 'expected a hover');
      assert.match(h.contents, expected);
    });
  }

  it('applies to workload templates', () => {
    const h = hover('apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  template:\n    spec:\n      terminationGrace|PeriodSeconds: 30\n');
    assert.match(h!.contents, /Grace period\./);
    assert.match(h!.contents, /at most 300 s/);
  });

  it('describes workload fields outside the template', () => {
    assert.match(hover('apiVersion: apps/v1\nkind: Deployment\nspec:\n  repl|icas: 2\n')!.contents, /How many pods to run/);
  });

  it('describes a list field from one of its scalar items', () => {
    assert.match(hover(POD('spec:\n  containers:\n  - name: a\n    ports:\n    - containerPort: 8|0\n'))!.contents, /containerPort/);
  });

  it('works in JSON manifests', () => {
    const h = hover('{\n  "apiVersion": "v1",\n  "kind": "Pod",\n  "spec": {\n    "terminationGrace|PeriodSeconds": 30\n  }\n}\n');
    assert.match(h!.contents, /Podsmith limit: at most 300 s/);
    assert.deepEqual(h!.range, { start: { line: 4, character: 4 }, end: { line: 4, character: 35 } });
  });

  it('says nothing on unrelated YAML or outside any field', () => {
    assert.equal(hover('services:\n  web:\n    ima|ge: nginx\n'), undefined);
    assert.equal(hover(POD('spec:\n  unknownFi|eld: 1\n')), undefined);
  });
});
