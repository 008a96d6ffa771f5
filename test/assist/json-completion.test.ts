// Completion in JSON manifests: the same offers as in YAML (field names, enum values, booleans, runtime
// classes, declared volume and port names), written as JSON, with commas where the next member needs one.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { completeAt, type CompletionEntry } from '../../engine/manifest/assist/completion';
import { cursor, fakeDescribe } from './fixtures';

function complete(src: string, options: { fileName?: string; language?: 'json' | 'yaml'; triggerCharacter?: string } = { fileName: 'pod.json' }): { items: CompletionEntry[]; text: string } {
  const { text, offset } = cursor(src);
  return { items: completeAt(text, offset, { describe: fakeDescribe, ...options }), text };
}
const labels = (items: CompletionEntry[]) => items.map((i) => i.label).sort();
const byLabel = (items: CompletionEntry[], label: string) => {
  const found = items.find((i) => i.label === label);
  assert.ok(found, `expected a completion "${label}" in ${JSON.stringify(labels(items))}`);
  return found;
};

/** The text after accepting `entry`, with snippet tabstops and choices reduced to their first option. */
function accept(text: string, entry: CompletionEntry): string {
  const lines = text.split('\n');
  const offset = (p: { line: number; character: number }) => lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
  const plain = entry.insertText
    .replace(/\$\{\d+\|([^,|]*)[^}]*\}/g, '$1')
    .replace(/\$\d+/g, '')
    .replace(/\\([$}\\])/g, '$1');
  return text.slice(0, offset(entry.range.start)) + plain + text.slice(offset(entry.range.end));
}

const HEAD = '"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"}';

describe('JSON completion of property names', () => {
  it('offers the container fields inside quotes, JSON-quoted, without the ones present', () => {
    const { items, text } = complete(`{${HEAD}, "spec": {"containers": [{"name": "web", "image": "nginx", "ima|"}]}}`);
    const names = labels(items);
    assert.ok(names.includes('imagePullPolicy'));
    assert.ok(!names.includes('image') && !names.includes('name'), 'present keys are left out');
    const ipp = byLabel(items, 'imagePullPolicy');
    assert.equal(ipp.kind, 'field');
    assert.equal(ipp.snippet, true);
    assert.equal(ipp.insertText, '"imagePullPolicy": "${1|Always,IfNotPresent,Never|}"');
    // The quotes are part of what is replaced, so editors must match `"ima` against `"imagePullPolicy"`.
    assert.equal(ipp.filterText, '"imagePullPolicy"');
    const quote = text.indexOf('"ima"');
    assert.deepEqual(ipp.range, { start: { line: 0, character: quote }, end: { line: 0, character: quote + 5 } });
    assert.doesNotThrow(() => JSON.parse(accept(text, ipp)));
  });

  it('writes JSON snippets by type, indented from the line', () => {
    const src = `{\n  ${HEAD},\n  "spec": {\n    "containers": [\n      {\n        |\n      }\n    ]\n  }\n}`;
    const { items, text } = complete(src);
    assert.equal(byLabel(items, 'name').insertText, '"name": "$1"');
    assert.equal(byLabel(items, 'stdin').insertText, '"stdin": ${1|true,false|}');
    assert.equal(byLabel(items, 'resources').insertText, '"resources": {\n          $1\n        }');
    assert.equal(byLabel(items, 'ports').insertText, '"ports": [\n          {\n            $1\n          }\n        ]');
    assert.equal(byLabel(items, 'livenessProbe').insertText, '"livenessProbe": {\n          $1\n        }');
    for (const label of ['name', 'stdin', 'resources', 'ports']) {
      assert.doesNotThrow(() => JSON.parse(accept(text, byLabel(items, label))), label);
    }
    const sorted = [...items].sort((a, b) => (a.sortText! < b.sortText! ? -1 : 1));
    assert.equal(sorted[0].label, 'name', 'required fields first');
  });

  it('adds a comma when another member follows, and only the name before a colon', () => {
    const before = complete(`{${HEAD}, "spec": {"containers": [{|\n "name": "web"}]}}`);
    const image = byLabel(before.items, 'image');
    assert.equal(image.insertText, '"image": "$1",');
    assert.doesNotThrow(() => JSON.parse(accept(before.text, image)));
    const existing = complete(`{${HEAD}, "spec": {"restart|Policy": "Always"}}`);
    const rp = byLabel(existing.items, 'restartPolicy');
    assert.equal(rp.insertText, '"restartPolicy"');
    assert.equal(rp.snippet, false);
    assert.deepEqual(JSON.parse(accept(existing.text, rp)).spec, { restartPolicy: 'Always' });
    // A forgotten comma after the key being typed: the next member still counts as present.
    const missing = complete(`{${HEAD}, "spec": {"containers": [{"ima|" "name": "web"}]}}`);
    assert.ok(!labels(missing.items).includes('name'));
    assert.equal(byLabel(missing.items, 'image').insertText, '"image": "$1",');
  });

  it('starts a manifest in an empty object, and leaves other JSON alone', () => {
    assert.deepEqual(labels(complete('{|}').items), ['apiVersion', 'kind', 'metadata', 'spec']);
    assert.deepEqual(complete('{"name": "pkg", "version": "1.0.0", |}', { fileName: 'package.json' }).items, []);
    assert.deepEqual(complete('{"compilerOptions": {"strict": true, "|"}}', { fileName: 'tsconfig.json' }).items, []);
    assert.ok(!labels(complete(`{${HEAD}, |}`).items).includes('status'), 'status is the cluster\'s');
  });

  it('leads a Deployment author down to the template', () => {
    const { items } = complete('{"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"replicas": 2, "|"}}');
    assert.ok(labels(items).includes('template') && labels(items).includes('selector'));
    assert.ok(!labels(items).includes('replicas'));
    const deep = complete('{"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"template": {"spec": {"|"}}}}');
    assert.ok(labels(deep.items).includes('containers'));
  });

  it('answers a typed quote in JSON only, and a typed space only after a colon', () => {
    const src = `{${HEAD}, "spec": {"|"}}`;
    assert.ok(complete(src, { fileName: 'pod.json', triggerCharacter: '"' }).items.length > 0);
    assert.deepEqual(complete('apiVersion: v1\nkind: Pod\nspec:\n  "|\n', { fileName: 'pod.yaml', triggerCharacter: '"' }).items, []);
    assert.deepEqual(complete(`{${HEAD}, "spec": {"restartPolicy": "Always", |}}`, { fileName: 'pod.json', triggerCharacter: ' ' }).items, []);
    assert.ok(complete(`{${HEAD}, "spec": {"restartPolicy": |}}`, { fileName: 'pod.json', triggerCharacter: ' ' }).items.length > 0);
  });

  it('goes by the language it is given, whatever the file is called', () => {
    const src = `{${HEAD}, "spec": {"|"}}`;
    assert.ok(complete(src, { fileName: 'Untitled-1', language: 'json' }).items.length > 0);
    assert.deepEqual(complete(src, { fileName: 'pod.yaml' }).items, [], 'a YAML file in flow style gets nothing, as before');
  });
});

describe('JSON completion of values', () => {
  it('offers enum values, quoted, replacing the string being typed', () => {
    const { items, text } = complete(`{${HEAD}, "spec": {"containers": [{"name": "a", "imagePullPolicy": "If|"}]}}`);
    assert.deepEqual(labels(items), ['Always', 'IfNotPresent', 'Never']);
    const inp = byLabel(items, 'IfNotPresent');
    assert.equal(inp.insertText, '"IfNotPresent"');
    assert.equal(inp.filterText, '"IfNotPresent"');
    assert.equal(JSON.parse(accept(text, inp)).spec.containers[0].imagePullPolicy, 'IfNotPresent');
  });

  it('offers values after the colon, with a space when it would touch it and a comma when a member follows', () => {
    const touching = complete(`{${HEAD}, "spec": {"restartPolicy":|}}`);
    assert.equal(byLabel(touching.items, 'Never').insertText, ' "Never"');
    const followed = complete(`{${HEAD}, "spec": {"restartPolicy": |\n "containers": []}}`);
    const never = byLabel(followed.items, 'Never');
    assert.equal(never.insertText, '"Never",');
    assert.equal(JSON.parse(accept(followed.text, never)).spec.restartPolicy, 'Never');
  });

  it('offers booleans unquoted', () => {
    const { items, text } = complete(`{${HEAD}, "spec": {"containers": [{"name": "a", "stdin": t|}]}}`);
    assert.deepEqual(labels(items), ['false', 'true']);
    assert.equal(JSON.parse(accept(text, byLabel(items, 'true'))).spec.containers[0].stdin, true);
  });

  it('offers the runtime classes', () => {
    const { items } = complete(`{\n  ${HEAD},\n  "spec": {\n    "runtimeClassName": "pod-|"\n  }\n}`);
    assert.deepEqual(labels(items), ['pod-containers', 'pod-microvm', 'pod-microvm-containers', 'pod-wasm']);
    assert.equal(items[0].kind, 'reference');
    assert.equal(byLabel(items, 'pod-wasm').insertText, '"pod-wasm"');
  });

  it('offers the declared volume names for a mount, even in unfinished JSON', () => {
    const src = `{${HEAD}, "spec": {"volumes": [{"name": "data", "emptyDir": {}}, {"name": "cache", "emptyDir": {}}], "containers": [{"name": "a", "volumeMounts": [{"name": "|", "mountPath": "/d"`;
    const { items } = complete(src);
    assert.deepEqual(labels(items), ['cache', 'data']);
    assert.equal(byLabel(items, 'data').insertText, '"data"');
  });

  it('offers the port names of the same container for a probe', () => {
    const src = `{${HEAD}, "spec": {"containers": [{"name": "other", "ports": [{"name": "admin", "containerPort": 9000}]}, {"name": "web", "ports": [{"name": "http", "containerPort": 8080}, {"name": "metrics", "containerPort": 9090}], "livenessProbe": {"httpGet": {"port": |}}}]}}`;
    const { items, text } = complete(src);
    assert.deepEqual(labels(items), ['http', 'metrics']);
    assert.equal(JSON.parse(accept(text, byLabel(items, 'http'))).spec.containers[1].livenessProbe.httpGet.port, 'http');
  });

  it('offers kinds, and the apiVersion that serves the kind', () => {
    assert.ok(labels(complete('{"apiVersion": "v1", "kind": "|"}').items).includes('Deployment'));
    assert.deepEqual(labels(complete('{"apiVersion": "|", "kind": "Deployment"}').items), ['apps/v1']);
  });
});
