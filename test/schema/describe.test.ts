// describePath (hover, completion) and exportSchema (third-party validators).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Ajv from 'ajv';
import { describePath, exportSchema } from '../../engine/manifest/schema/index';
import schema from '../../engine/manifest/schema/k8s-core.schema.json';
import { MINIMAL_POD, VALID_PODS } from './pods';

test('describePath: an enum field inside a container', () => {
  const info = describePath('Pod', ['spec', 'containers', 0, 'imagePullPolicy']);
  assert.ok(info);
  assert.equal(info.type, 'string');
  assert.match(info.description ?? '', /^Image pull policy/);
  assert.deepEqual(info.enum, ['Always', 'IfNotPresent', 'Never']);
  assert.equal(info.required, false);
});

test('describePath: objects list their fields for completion', () => {
  const c = describePath('Pod', ['spec', 'containers', 0]);
  assert.ok(c?.properties);
  assert.equal(c.type, 'Container');
  assert.match(c.description ?? '', /single application container/);
  assert.deepEqual(c.properties.name.required, true);
  assert.equal(c.properties.image.type, 'string');
  assert.equal(c.properties.ports.type, 'array of ContainerPort');
  assert.equal(c.properties.resources.type, 'ResourceRequirements');
  assert.match(c.properties.lifecycle.description ?? '', /Actions that the management system should take/);
  const root = describePath('Pod', []);
  assert.equal(root?.type, 'Pod');
  assert.deepEqual(Object.keys(root?.properties ?? {}).sort(), ['apiVersion', 'kind', 'metadata', 'spec', 'status']);
  const template = describePath('PodTemplateSpec', []);
  assert.deepEqual(Object.keys(template?.properties ?? {}).sort(), ['metadata', 'spec']);
});

test('describePath: display types', () => {
  const cases: [(string | number)[], string][] = [
    [['spec', 'containers'], 'array of Container'],
    [['metadata', 'labels'], 'map of string'],
    [['metadata', 'labels', 'app'], 'string'],
    [['metadata', 'creationTimestamp'], 'date-time'],
    [['spec', 'containers', 0, 'resources', 'limits'], 'map of quantity'],
    [['spec', 'containers', 0, 'resources', 'limits', 'cpu'], 'quantity'],
    [['spec', 'containers', 0, 'livenessProbe', 'httpGet', 'port'], 'int-or-string'],
    [['spec', 'containers', 0, 'ports', 0, 'containerPort'], 'integer'],
    [['spec', 'containers', 0, 'tty'], 'boolean'],
    [['spec', 'containers', 0, 'command'], 'array of string'],
    [['spec', 'volumes', 0, 'emptyDir', 'sizeLimit'], 'quantity'],
  ];
  for (const [path, type] of cases) assert.equal(describePath('Pod', path)?.type, type, path.join('.'));
  assert.equal(describePath('Secret', ['data'])?.type, 'map of base64');
  const modes = describePath('Pod', ['spec', 'volumes', 0, 'ephemeral', 'volumeClaimTemplate', 'spec', 'accessModes']);
  assert.deepEqual(modes?.enum, ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod']);
  assert.equal(describePath('Pod', ['spec', 'containers', 0, 'port'])?.type, undefined);
  assert.equal(describePath('Pod', ['spec', 'nope', 'deeper']), undefined);
});

test('every field of every definition has a description and a display type', (t) => {
  let fields = 0;
  const missing: string[] = [];
  for (const [name, def] of Object.entries(schema.definitions) as [string, { description?: string; properties: Record<string, { description?: string; 'x-podsmith-type'?: string }> }][]) {
    if (!def.description) missing.push(name);
    for (const [field, prop] of Object.entries(def.properties)) {
      fields++;
      if (!prop.description || !prop['x-podsmith-type']) missing.push(`${name}.${field}`);
    }
  }
  t.diagnostic(`${Object.keys(schema.definitions).length} definitions, ${fields} fields, all described`);
  assert.deepEqual(missing, []);
  assert.match(schema.$comment, /client-node 2\.0\.1 \(OpenAPI release-1\.36\)/);
});

test('exportSchema is a self-contained draft-07 schema that validates the same pods', () => {
  const exported = exportSchema();
  assert.equal(exported.$schema, 'http://json-schema.org/draft-07/schema#');
  assert.equal(exported.$ref, '#/definitions/Pod');
  const text = JSON.stringify(exported);
  assert.ok(!text.includes('x-podsmith'), 'no private annotations');
  for (const ref of text.match(/"\$ref":"[^"]*"/g) ?? []) {
    const name = /#\/definitions\/(\w+)"$/.exec(ref)?.[1];
    assert.ok(name && name in (exported.definitions as object), `resolvable ${ref}`);
  }
  // A plain, strict ajv (what a third-party tool would be) must accept it and agree on the verdicts.
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
  ajv.addFormat('int32', { type: 'number', validate: () => true });
  ajv.addFormat('int64', { type: 'number', validate: () => true });
  ajv.addFormat('int-or-string', true);
  ajv.addFormat('byte', true);
  ajv.addFormat('date-time', true);
  ajv.addKeyword({ keyword: 'patternErrorMessage', schemaType: 'string' });
  const validate = ajv.compile(exported);
  for (const [name, pod] of Object.entries(VALID_PODS)) assert.ok(validate(pod), `${name}: ${JSON.stringify(validate.errors)}`);
  const bad = structuredClone(MINIMAL_POD) as { spec: { containers: Record<string, unknown>[] } };
  bad.spec.containers[0].imagePullPolicyy = 'Always';
  assert.equal(validate(bad), false);
  // The runtime schema object is not mutated by exporting.
  assert.ok(JSON.stringify(schema).includes('x-podsmith-type'));
});
