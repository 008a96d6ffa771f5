// Generates engine/manifest/schema/k8s-core.schema.json: the strict draft-07 JSON Schema of the core/v1
// objects Podsmith checks (Pod, PodTemplateSpec, ConfigMap, Secret and everything they reach), from the
// models @kubernetes/client-node generates out of the Kubernetes OpenAPI spec, with the enums derived from
// the spec's annotations (tools/schema-enum-source.ts).
// Also writes k8s-core.validate.js (+ .d.ts), the same schema precompiled by ajv, which the runtime loads.
//   npm run gen:schema              write the files
//   npm run gen:schema -- --check   fail if a committed file is stale
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BASE64_PATTERN, DATE_TIME_PATTERN, INT32_MAX, INT32_MIN, QUANTITY_PATTERN } from '../engine/manifest/schema/formats';
import { annotatedEnums, deriveEnums, ENUM_SOURCE_PACKAGE, enumSourceVersion } from './schema-enum-source';
import { VALIDATION_ENUMS } from './schema-enums';
import { fieldDoc, kubernetesTypesVersion } from './schema-field-docs';
import { clientNodeVersion, hasModel, loadModel, openApiRelease, type SourceField } from './schema-source';
import { compileStandalone } from './schema-standalone';

const DIR = join(__dirname, '..', 'engine', 'manifest', 'schema');
const ROOTS = ['V1Pod', 'V1PodTemplateSpec', 'V1ConfigMap', 'V1Secret'];

type Json = Record<string, unknown>;

/** V1Container → Container, CoreV1ResourceClaim → ResourceClaim (the name kubernetes-types uses too). */
function shortName(className: string): string {
  const m = /^(?:CoreV1|V1)([A-Z]\w*)$/.exec(className);
  if (!m) throw new Error(`unexpected model class ${className}`);
  return m[1];
}

// Quantity fields are typed `string` by client-node; they are recognised by name and description.
const QUANTITY_MAPS = new Set(['limits', 'requests', 'overhead', 'allocatedResources', 'capacity', 'allocatable']);
const QUANTITY_SCALARS = new Set(['sizeLimit', 'divisor']);
const MAP_OF_STRING = '{ [key: string]: string; }';

function isQuantity(field: SourceField): boolean {
  const mentions = /\bquantit(y|ies)\b/i.test(field.description ?? '');
  if (field.type === MAP_OF_STRING) return field.format === '' && (QUANTITY_MAPS.has(field.name) || mentions);
  return field.type === 'string' && (QUANTITY_SCALARS.has(field.name) || /^Quantity\b/.test(field.description ?? ''));
}

// client-node keeps the referenced type's text where the field's own description was dropped.
function isGenericDoc(text: string | undefined): boolean {
  return !text || /^IntOrString is a type that can hold/.test(text);
}

const quantitySchema = (): Json => ({ type: ['string', 'number'], pattern: QUANTITY_PATTERN, 'x-podsmith-type': 'quantity' });

interface Stats {
  fields: number;
  enums: number;
  quantities: string[];
  borrowedDocs: number;
  typeDocs: number;
}

class Generator {
  readonly definitions: Record<string, Json> = {};
  private readonly queue: string[] = [];
  private readonly seen = new Map<string, string>();
  readonly stats: Stats = { fields: 0, enums: 0, quantities: [], borrowedDocs: 0, typeDocs: 0 };
  private readonly usedEnums = new Set<string>();
  private readonly enums = deriveEnums();

  run(): void {
    for (const r of ROOTS) this.enqueue(r);
    while (this.queue.length) this.emit(this.queue.shift()!);
    // A validation set that lands nowhere, or an annotation on a field of the schema that is not a string,
    // would silently check nothing: both stop the generator.
    for (const [def, fields] of Object.entries(VALIDATION_ENUMS)) {
      for (const field of Object.keys(fields)) {
        if (!this.usedEnums.has(`${def}.${field}`)) throw new Error(`schema-enums.ts: ${def}.${field} is not a string field of the schema`);
      }
    }
    for (const [def, fields] of Object.entries(annotatedEnums())) {
      if (!this.definitions[def]) continue;
      for (const field of Object.keys(fields)) {
        if (!this.usedEnums.has(`${def}.${field}`)) throw new Error(`${ENUM_SOURCE_PACKAGE} annotates ${def}.${field}, which is not a string field of the schema`);
      }
    }
  }

  private enqueue(className: string): string {
    const name = shortName(className);
    const prior = this.seen.get(name);
    if (prior && prior !== className) throw new Error(`${prior} and ${className} would share the definition ${name}`);
    if (!prior) {
      if (!hasModel(className)) throw new Error(`no client-node model ${className}`);
      this.seen.set(name, className);
      this.queue.push(className);
    }
    return name;
  }

  private emit(className: string): void {
    const model = loadModel(className);
    const name = shortName(className);
    const properties: Record<string, Json> = {};
    const required: string[] = [];
    for (const field of [...model.fields].sort((a, b) => a.name.localeCompare(b.name))) {
      properties[field.name] = this.property(name, field);
      if (field.required) required.push(field.name);
      this.stats.fields++;
    }
    const def: Json = { type: 'object' };
    if (model.description) def.description = model.description;
    def.properties = properties;
    if (required.length) def.required = required;
    def.additionalProperties = false;
    this.definitions[name] = def;
  }

  private property(defName: string, field: SourceField): Json {
    const schema = this.typeSchema(defName, field, field.type);
    const description = this.describe(defName, field);
    return { description, ...schema };
  }

  private describe(defName: string, field: SourceField): string {
    if (!isGenericDoc(field.description)) return field.description!;
    const borrowed = fieldDoc(defName, field.name);
    if (borrowed) {
      this.stats.borrowedDocs++;
      return borrowed;
    }
    // Last resort: the referenced model's own description.
    const ref = /V1\w+/.exec(field.type)?.[0];
    const typeDoc = ref && hasModel(ref) ? loadModel(ref).description : field.description;
    if (!typeDoc) throw new Error(`${defName}.${field.name} has no description anywhere`);
    this.stats.typeDocs++;
    return typeDoc;
  }

  private typeSchema(defName: string, field: SourceField, type: string): Json {
    const array = /^Array<(.+)>$/.exec(type);
    if (array) {
      const items = this.typeSchema(defName, field, array[1]);
      return { type: 'array', items, 'x-podsmith-type': `array of ${items['x-podsmith-type']}` };
    }
    const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
    if (map) {
      let values: Json;
      if (isQuantity(field)) {
        values = quantitySchema();
        this.stats.quantities.push(`${defName}.${field.name}`);
      } else {
        values = this.typeSchema(defName, field, map[1]);
      }
      return { type: 'object', additionalProperties: values, 'x-podsmith-type': `map of ${values['x-podsmith-type']}` };
    }
    switch (type) {
      case 'string': {
        if (field.format === 'byte') return { type: 'string', format: 'byte', pattern: BASE64_PATTERN, 'x-podsmith-type': 'base64' };
        if (isQuantity(field)) {
          this.stats.quantities.push(`${defName}.${field.name}`);
          return quantitySchema();
        }
        const s: Json = { type: 'string', 'x-podsmith-type': 'string' };
        const allowed = this.enums[defName]?.[field.name];
        if (allowed) {
          s.enum = [...allowed];
          this.usedEnums.add(`${defName}.${field.name}`);
          this.stats.enums++;
        }
        return s;
      }
      case 'number':
        if (field.format === 'int32') {
          return { type: 'integer', format: 'int32', minimum: INT32_MIN, maximum: INT32_MAX, 'x-podsmith-type': 'integer' };
        }
        if (field.format === 'int64') return { type: 'integer', format: 'int64', 'x-podsmith-type': 'integer' };
        return { type: 'number', 'x-podsmith-type': 'number' };
      case 'boolean':
        return { type: 'boolean', 'x-podsmith-type': 'boolean' };
      case 'Date':
        return { type: 'string', format: 'date-time', pattern: DATE_TIME_PATTERN, 'x-podsmith-type': 'date-time' };
      case 'IntOrString':
        // One type list (not oneOf) so a wrong value yields one error, not one per branch.
        return { type: ['integer', 'string'], format: 'int-or-string', minimum: INT32_MIN, maximum: INT32_MAX, 'x-podsmith-type': 'int-or-string' };
      case 'any':
        return { type: 'object', 'x-podsmith-type': 'object' };
    }
    if (/^(CoreV1|V1)[A-Z]\w*$/.test(type)) {
      const ref = this.enqueue(type);
      return { $ref: `#/definitions/${ref}`, 'x-podsmith-type': ref };
    }
    throw new Error(`${defName}.${field.name}: unsupported client-node type ${type}`);
  }
}

function main(): void {
  const gen = new Generator();
  gen.run();
  const definitions = Object.fromEntries(Object.keys(gen.definitions).sort().map((k) => [k, gen.definitions[k]]));
  const schema = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    // A name, not a location: it only keys the schema inside ajv while the validator is generated.
    $id: 'urn:podsmith:k8s-core',
    $comment:
      `Generated by tools/gen-schema.ts from @kubernetes/client-node ${clientNodeVersion()} (OpenAPI ${openApiRelease()}); ` +
      `enums from the OpenAPI "Possible enum values" annotations as ${ENUM_SOURCE_PACKAGE} ${enumSourceVersion()} keeps them, plus the validation-only sets of tools/schema-enums.ts; ` +
      `descriptions client-node drops (fields of object type) from kubernetes-types ${kubernetesTypesVersion()}. ` +
      'Do not edit: run `npm run gen:schema`.',
    definitions,
  };
  const text = JSON.stringify(schema, null, 1) + '\n';
  const { js, dts } = compileStandalone(schema);
  const outputs: [string, string][] = [
    [join(DIR, 'k8s-core.schema.json'), text],
    [join(DIR, 'k8s-core.validate.js'), js],
    [join(DIR, 'k8s-core.validate.d.ts'), dts],
  ];
  const s = gen.stats;
  const summary =
    `${Object.keys(definitions).length} definitions, ${s.fields} fields, ${s.enums} enum fields, ` +
    `${s.quantities.length} quantity fields, ${s.borrowedDocs} descriptions from kubernetes-types, ${s.typeDocs} from the field's type`;
  if (process.argv.includes('--check')) {
    const stale = outputs.filter(([file, content]) => {
      try {
        return readFileSync(file, 'utf8') !== content;
      } catch {
        return true;
      }
    });
    if (stale.length) {
      console.error(`stale: ${stale.map(([f]) => f).join(', ')}: run npm run gen:schema`);
      process.exit(1);
    }
    console.log(`up to date: ${summary}`);
    return;
  }
  for (const [file, content] of outputs) writeFileSync(file, content);
  console.log(`wrote ${outputs.map(([f]) => f).join(', ')}\n${summary} (validator ${(js.length / 1024).toFixed(0)} KiB)`);
  if (process.argv.includes('--verbose')) console.log(`quantities: ${s.quantities.join(', ')}`);
}

main();
