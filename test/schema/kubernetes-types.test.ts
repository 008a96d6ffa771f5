// Independent source 1: the kubernetes-types 1.30 declarations (another generator, another release). Every
// field they declare for PodSpec, Container, Probe, SecurityContext, Volume and every interface reachable
// from them must exist in the schema, at the same definition, with a compatible shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import schema from '../../engine/manifest/schema/k8s-core.schema.json';

const TYPES = join(__dirname, '..', '..', 'node_modules', 'kubernetes-types');
const STARTS = ['PodSpec', 'Container', 'Probe', 'SecurityContext', 'Volume'];

// Fields of 1.30 that Kubernetes has since removed. Only alpha fields may go away; each entry says why.
const REMOVED_SINCE_1_30: Record<string, string> = {
  'PodResourceClaim.source':
    'alpha DynamicResourceAllocation field; 1.31 replaced it by resourceClaimName and resourceClaimTemplateName on PodResourceClaim itself',
};

interface Field {
  name: string;
  type: ts.TypeNode;
}

/** Interfaces of core/v1 and meta/v1 by name (the two files share one namespace of names). */
function readInterfaces(): { interfaces: Map<string, Field[]>; source: Map<string, ts.SourceFile> } {
  const interfaces = new Map<string, Field[]>();
  const source = new Map<string, ts.SourceFile>();
  for (const rel of ['core/v1.d.ts', 'meta/v1.d.ts']) {
    const file = join(TYPES, rel);
    const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    for (const stmt of sf.statements) {
      if (!ts.isInterfaceDeclaration(stmt)) continue;
      const fields: Field[] = [];
      for (const m of stmt.members) {
        if (ts.isPropertySignature(m) && m.type && (ts.isIdentifier(m.name) || ts.isStringLiteral(m.name))) fields.push({ name: m.name.text, type: m.type });
      }
      interfaces.set(stmt.name.text, fields);
      source.set(stmt.name.text, sf);
    }
  }
  return { interfaces, source };
}

type Node = { $ref?: string; type?: string | string[]; pattern?: string; format?: string; items?: Node; additionalProperties?: boolean | Node };
type Definition = { properties: Record<string, Node> };
const definitions = schema.definitions as unknown as Record<string, Definition>;

/** A comparable shape of a kubernetes-types type: string, number, int-or-string, quantity, time, ref:X, array<…>, map<…>. */
function typeShape(t: ts.TypeNode, interfaces: Map<string, Field[]>): string {
  if (t.kind === ts.SyntaxKind.StringKeyword) return 'string';
  if (t.kind === ts.SyntaxKind.NumberKeyword) return 'number';
  if (t.kind === ts.SyntaxKind.BooleanKeyword) return 'boolean';
  if (ts.isUnionTypeNode(t)) {
    const kinds = t.types.map((u) => typeShape(u, interfaces)).sort().join('|');
    return kinds === 'number|string' ? 'int-or-string' : kinds;
  }
  if (ts.isTypeReferenceNode(t)) {
    const name = t.typeName.getText();
    if (name === 'Array' && t.typeArguments?.length === 1) return `array<${typeShape(t.typeArguments[0], interfaces)}>`;
    if (name === 'Quantity') return 'quantity';
    if (name === 'Time' || name === 'MicroTime') return 'time';
    // An interface without members (FieldsV1) is free-form JSON.
    if (interfaces.get(name)?.length === 0) return 'object';
    return `ref:${name}`;
  }
  if (ts.isTypeLiteralNode(t)) {
    const index = t.members.find(ts.isIndexSignatureDeclaration);
    if (index) return `map<${typeShape(index.type, interfaces)}>`;
  }
  return `?${t.getText()}`;
}

function schemaShape(n: Node): string {
  if (n.$ref) return `ref:${n.$ref.split('/').pop()}`;
  const type = Array.isArray(n.type) ? [...n.type].sort().join('|') : n.type;
  if (type === 'number|string') return 'quantity';
  if (type === 'integer|string') return 'int-or-string';
  if (type === 'integer' || type === 'number') return 'number';
  if (type === 'string') return n.format === 'date-time' ? 'time' : 'string';
  if (type === 'array' && n.items) return `array<${schemaShape(n.items)}>`;
  if (type === 'object' && n.additionalProperties && typeof n.additionalProperties === 'object') return `map<${schemaShape(n.additionalProperties)}>`;
  return String(type);
}

/** Names of interfaces a type mentions. */
function referenced(t: ts.TypeNode): string[] {
  const out: string[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isTypeReferenceNode(n)) out.push(n.typeName.getText());
    n.forEachChild(visit);
  };
  visit(t);
  return out;
}

test('every field kubernetes-types declares for the Pod tree is in the schema', (t) => {
  const { interfaces } = readInterfaces();
  const queue = [...STARTS];
  const visited = new Set<string>();
  const missing: string[] = [];
  const mismatched: string[] = [];
  const removed: string[] = [];
  let checked = 0;
  while (queue.length) {
    const name = queue.shift()!;
    if (visited.has(name)) continue;
    visited.add(name);
    const fields = interfaces.get(name);
    assert.ok(fields, `kubernetes-types has no interface ${name}`);
    if (fields.length === 0) continue;
    const def = definitions[name];
    for (const f of fields) {
      checked++;
      const prop = def?.properties[f.name];
      if (`${name}.${f.name}` in REMOVED_SINCE_1_30) {
        // Its types (ClaimSource) are reachable only through the removed field, so they are not followed.
        assert.equal(prop, undefined, `${name}.${f.name} is listed as removed but the schema has it`);
        removed.push(`${name}.${f.name}`);
        continue;
      }
      for (const r of referenced(f.type)) if (interfaces.has(r) && !visited.has(r)) queue.push(r);
      if (!prop) {
        missing.push(`${name}.${f.name}`);
        continue;
      }
      const want = typeShape(f.type, interfaces);
      const got = schemaShape(prop);
      // A Quantity-typed string and a quantity agree; so does `string` for a field the schema knows is a quantity.
      if (want !== got && !(want === 'string' && got === 'quantity')) mismatched.push(`${name}.${f.name}: kubernetes-types ${want}, schema ${got}`);
    }
  }
  t.diagnostic(
    `kubernetes-types 1.30: ${visited.size} interfaces, ${checked} fields checked, ${missing.length} missing, ` +
      `${mismatched.length} shape mismatches, ${removed.length} known removals (${removed.join(', ')})`,
  );
  assert.deepEqual(removed.sort(), Object.keys(REMOVED_SINCE_1_30).sort(), 'every listed removal was met');
  assert.deepEqual(missing, [], `fields missing from the schema:\n${missing.join('\n')}`);
  assert.deepEqual(mismatched, [], `fields whose shape differs:\n${mismatched.join('\n')}`);
  assert.ok(checked > 400, `only ${checked} fields checked`);
});
