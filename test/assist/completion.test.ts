import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { completeAt, type CompletionEntry } from '../../engine/manifest/assist/completion';
import { cursor, fakeDescribe } from './fixtures';

function complete(src: string, fileName?: string): CompletionEntry[] {
  const { text, offset } = cursor(src);
  return completeAt(text, offset, { describe: fakeDescribe, fileName });
}
const labels = (items: CompletionEntry[]) => items.map((i) => i.label).sort();
const byLabel = (items: CompletionEntry[], label: string) => {
  const found = items.find((i) => i.label === label);
  assert.ok(found, `expected a completion "${label}" in ${JSON.stringify(labels(items))}`);
  return found;
};

const POD_HEAD = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n';

describe('completion of field names', () => {
  it('offers container fields on a half-typed key, without the ones already present', () => {
    const items = complete(`${POD_HEAD}spec:\n  containers:\n  - name: web\n    image: nginx\n    imag|\n`);
    const names = labels(items);
    assert.ok(names.includes('imagePullPolicy'));
    assert.ok(names.includes('ports'));
    assert.ok(!names.includes('image'), 'image is already present');
    assert.ok(!names.includes('name'), 'name is already present');
    const item = byLabel(items, 'imagePullPolicy');
    assert.equal(item.kind, 'field');
    assert.equal(item.snippet, true);
    assert.equal(item.insertText, 'imagePullPolicy: ${1|Always,IfNotPresent,Never|}');
    // The replaced range is the typed prefix.
    assert.deepEqual(item.range, { start: { line: 8, character: 4 }, end: { line: 8, character: 8 } });
  });

  it('builds snippets by type, indented from the key column', () => {
    const items = complete(`${POD_HEAD}spec:\n  containers:\n  - |\n`);
    assert.equal(byLabel(items, 'name').insertText, 'name: $1');
    assert.equal(byLabel(items, 'ports').insertText, 'ports:\n      - $1');
    assert.equal(byLabel(items, 'resources').insertText, 'resources:\n      $1');
    assert.equal(byLabel(items, 'stdin').insertText, 'stdin: ${1|true,false|}');
    // Required fields sort first.
    const sorted = [...items].sort((a, b) => (a.sortText! < b.sortText! ? -1 : 1));
    assert.equal(sorted[0].label, 'name');
  });

  it('offers fields on an empty line inside a mapping', () => {
    const items = complete(`${POD_HEAD}spec:\n  containers:\n  - name: web\n\n    |\n    image: nginx\n  restartPolicy: Always\n`);
    const names = labels(items);
    assert.ok(names.includes('env'));
    assert.ok(!names.includes('image'));
  });

  it('offers pod spec fields for a Deployment template', () => {
    const items = complete('apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  template:\n    spec:\n      contai|\n');
    assert.ok(labels(items).includes('containers'));
    assert.equal(byLabel(items, 'containers').insertText, 'containers:\n        - $1');
  });

  it('leads a Deployment author down to the template', () => {
    const items = complete('apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  replicas: 2\n  |\n');
    const names = labels(items);
    assert.ok(names.includes('template'));
    assert.ok(names.includes('selector'));
    assert.ok(!names.includes('replicas'));
  });

  it('inserts only the name when completing an existing key', () => {
    const items = complete(`${POD_HEAD}spec:\n  restart|Policy: Always\n`);
    assert.equal(byLabel(items, 'restartPolicy').insertText, 'restartPolicy');
    assert.equal(byLabel(items, 'restartPolicy').snippet, false);
  });

  it('offers the top-level skeleton in a fresh document, but nothing in unrelated YAML', () => {
    assert.deepEqual(labels(complete('|')), ['apiVersion', 'kind', 'metadata', 'spec']);
    assert.deepEqual(complete('services:\n  web:\n    |\n'), []);
    assert.deepEqual(complete('name: ci\non:\n  push:\n|\n'), []);
  });

  it('does not offer status at the top level', () => {
    assert.ok(!labels(complete('apiVersion: v1\nkind: Pod\n|\n')).includes('status'));
  });

  it('answers a typed space only after `key:` or `- `, not while indenting', () => {
    const at = (src: string) => {
      const { text, offset } = cursor(src);
      return completeAt(text, offset, { describe: fakeDescribe, triggerCharacter: ' ' });
    };
    assert.deepEqual(at(`${POD_HEAD}spec:\n  containers:\n  - name: web\n    |\n`), []);
    assert.ok(at(`${POD_HEAD}spec:\n  containers:\n  - name: web\n  - |\n`).length > 0);
    assert.ok(at(`${POD_HEAD}spec:\n  restartPolicy: |\n`).length > 0);
  });

  it('stays quiet in YAML written in flow style (JSON files have their own completion)', () => {
    assert.deepEqual(complete('{"apiVersion": "v1", "kind": "Pod", "spec": {|}}', 'pod.yaml'), []);
    assert.ok(complete('{"apiVersion": "v1", "kind": "Pod", "spec": {|}}', 'pod.json').length > 0);
  });
});

describe('completion of values', () => {
  it('offers enum values after `key: `', () => {
    const items = complete(`${POD_HEAD}spec:\n  containers:\n  - name: web\n    imagePullPolicy: |\n`);
    assert.deepEqual(labels(items), ['Always', 'IfNotPresent', 'Never']);
    assert.equal(items[0].kind, 'value');
  });

  it('offers enum values on the line under an empty scalar key', () => {
    const items = complete(`${POD_HEAD}spec:\n  restartPolicy:\n    |\n`);
    assert.deepEqual(labels(items), ['Always', 'Never', 'OnFailure']);
  });

  it('adds a space when the value would touch the colon', () => {
    const items = complete(`${POD_HEAD}spec:\n  restartPolicy:|\n`);
    assert.equal(byLabel(items, 'Never').insertText, ' Never');
  });

  it('offers booleans for boolean fields', () => {
    assert.deepEqual(labels(complete(`${POD_HEAD}spec:\n  containers:\n  - name: a\n    stdin: |\n`)), ['false', 'true']);
  });

  it('offers the runtime classes for runtimeClassName', () => {
    const items = complete(`${POD_HEAD}spec:\n  runtimeClassName: pod-|\n`);
    assert.deepEqual(labels(items), ['pod-containers', 'pod-microvm', 'pod-microvm-containers', 'pod-wasm']);
    assert.equal(items[0].kind, 'reference');
  });

  it('offers declared volume names for volumeMounts[].name, even in half-typed YAML', () => {
    const src = `${POD_HEAD}spec:\n  containers:\n  - name: web\n    volumeMounts:\n    - name: |\n      mountPath: /data\n    imag\n  volumes:\n  - name: data\n    emptyDir: {}\n  - name: cache\n    emptyDir: {}\n`;
    assert.deepEqual(labels(complete(src)), ['cache', 'data']);
  });

  it('offers the port names of the same container for probe ports', () => {
    const src = `${POD_HEAD}spec:\n  containers:\n  - name: a\n    ports:\n    - name: admin\n      containerPort: 9000\n  - name: web\n    ports:\n    - name: http\n      containerPort: 8080\n    - name: metrics\n      containerPort: 9090\n    livenessProbe:\n      httpGet:\n        port: |\n`;
    assert.deepEqual(labels(complete(src)), ['http', 'metrics']);
  });

  it('offers ConfigMap names declared in the same file', () => {
    const src = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n---\n${POD_HEAD}spec:\n  volumes:\n  - name: conf\n    configMap:\n      name: |\n`;
    assert.deepEqual(labels(complete(src)), ['settings']);
  });

  it('offers kinds and the apiVersion that serves the kind', () => {
    assert.ok(labels(complete('apiVersion: v1\nkind: |\n')).includes('Deployment'));
    assert.deepEqual(labels(complete('apiVersion: |\nkind: Deployment\n')), ['apps/v1']);
  });
});
