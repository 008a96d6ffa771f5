// The schema's enums are derived, not kept by hand: they must equal what tools/schema-enum-source.ts derives
// from the OpenAPI "Possible enum values" annotations (plus the validation-only sets), field for field. A
// hand edit of the schema, a stale schema after a source upgrade, or a validation set the source has caught
// up with all fail here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { annotatedEnums, deriveEnums, possibleValues } from '../../tools/schema-enum-source';
import { VALIDATION_ENUMS } from '../../tools/schema-enums';

interface Prop {
  enum?: string[];
  items?: { enum?: string[] };
}
const schema = JSON.parse(readFileSync(join(__dirname, '..', '..', 'engine', 'manifest', 'schema', 'k8s-core.schema.json'), 'utf8')) as {
  definitions: Record<string, { properties?: Record<string, Prop> }>;
};

/** `Definition.field` → allowed values, as the generated schema has them. */
function schemaEnums(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [def, d] of Object.entries(schema.definitions)) {
    for (const [field, p] of Object.entries(d.properties ?? {})) {
      const values = p.enum ?? p.items?.enum;
      if (values) out.set(`${def}.${field}`, values);
    }
  }
  return out;
}

test('the generated schema has exactly the derived enums', () => {
  const derived = new Map<string, string[]>();
  for (const [def, fields] of Object.entries(deriveEnums())) {
    if (!schema.definitions[def]) continue; // annotations of objects outside the Pod tree (Service, Node...)
    for (const [field, values] of Object.entries(fields)) derived.set(`${def}.${field}`, values);
  }
  const inSchema = schemaEnums();
  assert.deepEqual([...inSchema.keys()].sort(), [...derived.keys()].sort(), 'the same enum fields');
  for (const [key, values] of inSchema) assert.deepEqual(values, derived.get(key), key);
  assert.ok(inSchema.size >= 40, `only ${inSchema.size} enum fields`);
});

test('most enums come from the annotations, with the values the spec lists', () => {
  const annotated = annotatedEnums();
  assert.deepEqual(annotated.Container.imagePullPolicy, ['Always', 'IfNotPresent', 'Never']);
  assert.deepEqual(annotated.PodSpec.restartPolicy, ['Always', 'Never', 'OnFailure']);
  assert.deepEqual(annotated.ContainerPort.protocol, ['SCTP', 'TCP', 'UDP']);
  assert.ok(annotated.HostPathVolumeSource.type.includes(''), 'the empty hostPath type is an annotated value');
  const inTree = Object.entries(annotated).filter(([def]) => schema.definitions[def]);
  const fromAnnotations = inTree.reduce((n, [, fields]) => n + Object.keys(fields).length, 0);
  const fromValidation = Object.values(VALIDATION_ENUMS).reduce((n, fields) => n + Object.keys(fields).length, 0);
  assert.ok(fromAnnotations >= 2 * fromValidation, `${fromAnnotations} annotated enum fields against ${fromValidation} validation-only ones`);
});

test('validation-only sets add what the annotations lack, never repeat them', () => {
  const annotated = annotatedEnums();
  for (const [def, fields] of Object.entries(VALIDATION_ENUMS)) {
    for (const [field, { values, why }] of Object.entries(fields)) {
      assert.ok(schema.definitions[def]?.properties?.[field], `${def}.${field} is a field of the schema`);
      assert.ok(why.length > 10, `${def}.${field} says where the API server enforces it`);
      const known = annotated[def]?.[field] ?? [];
      assert.deepEqual(values.filter((v) => known.includes(v)), [], `${def}.${field} repeats annotated values`);
    }
  }
});

test('reads the annotation format of the OpenAPI descriptions', () => {
  const description = [
    'Protocol for port. Must be UDP, TCP, or SCTP. Defaults to "TCP".',
    '',
    'Possible enum values:',
    ' - `"SCTP"` is the SCTP protocol.',
    ' - `"TCP"` is the TCP protocol.',
    ' - `""` is the empty value.',
  ].join('\n');
  assert.deepEqual(possibleValues(description), ['SCTP', 'TCP', '']);
  assert.equal(possibleValues('A plain string.'), undefined);
  assert.throws(() => possibleValues('Possible enum values:\n(none)'), /without values/);
});
