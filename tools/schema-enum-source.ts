// Where the schema's enums come from. The Kubernetes OpenAPI v3 spec marks the values of every `+enum` Go
// type in the field's description ("Possible enum values:" followed by one "- `"Value"` ..." line each).
// @kubernetes/client-node drops those lines (and the spec's `enum` keyword), so they are read from the
// release-1.36 kubernetes-models declarations (kubernetes-models 5.1, installed as kubernetes-models-1-36 beside the
// 4.x the differential tests use), whose TSDoc keeps the descriptions verbatim. On top come the closed sets
// that the API server enforces in validation code without an annotation (tools/schema-enums.ts) and each
// root object's own apiVersion and kind. The generator and the drift test both call deriveEnums().
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { VALIDATION_ENUMS } from './schema-enums';

export const ENUM_SOURCE_PACKAGE = 'kubernetes-models-1-36';
const SOURCE_DIR = join(__dirname, '..', 'node_modules', ENUM_SOURCE_PACKAGE);
/** core/v1 only: every definition of the Pod tree lives there (meta/v1 types carry no annotations). */
const CORE_DIR = join(SOURCE_DIR, 'v1');

/** definition (short name, as in the generated schema) → JSON field → allowed values. */
export type EnumTable = Record<string, Record<string, string[]>>;

export function enumSourceVersion(): string {
  return (JSON.parse(readFileSync(join(SOURCE_DIR, 'package.json'), 'utf8')) as { version: string }).version;
}

/** The values listed under "Possible enum values:" in a description, in their order there. */
export function possibleValues(description: string): string[] | undefined {
  const at = description.indexOf('Possible enum values:');
  if (at < 0) return undefined;
  const values = [...description.slice(at).matchAll(/^\s*- `"((?:[^"\\]|\\.)*)"`/gm)].map((m) => m[1]);
  if (values.length === 0) throw new Error(`"Possible enum values:" without values in: ${description.slice(at, at + 120)}`);
  return values;
}

let annotated: EnumTable | undefined;

/** Every "Possible enum values" annotation of the core/v1 declarations. */
export function annotatedEnums(): EnumTable {
  if (annotated) return annotated;
  const out: EnumTable = {};
  for (const file of readdirSync(CORE_DIR).filter((f) => f.endsWith('.d.ts')).sort()) {
    const text = readFileSync(join(CORE_DIR, file), 'utf8');
    if (!text.includes('Possible enum values:')) continue;
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    for (const stmt of sf.statements) {
      // `export interface IContainer { ... }`: the model's fields with their descriptions.
      if (!ts.isInterfaceDeclaration(stmt) || !/^I[A-Z]/.test(stmt.name.text)) continue;
      const definition = stmt.name.text.slice(1);
      for (const member of stmt.members) {
        if (!ts.isPropertySignature(member) || !member.name) continue;
        const name = ts.isIdentifier(member.name) || ts.isStringLiteral(member.name) ? member.name.text : undefined;
        const docs = (member as { jsDoc?: ts.JSDoc[] }).jsDoc;
        const description = docs?.map((d) => ts.getTextOfJSDocComment(d.comment) ?? '').join('\n') ?? '';
        const values = name ? possibleValues(description) : undefined;
        if (values) (out[definition] ??= {})[name!] = values;
      }
    }
  }
  annotated = out;
  return out;
}

/** Classes whose objects are documents of their own: apiVersion and kind have exactly one value each. */
const DOCUMENT_ROOTS: Record<string, { apiVersion: string }> = { Pod: { apiVersion: 'v1' }, ConfigMap: { apiVersion: 'v1' }, Secret: { apiVersion: 'v1' } };

/**
 * The allowed values of every enum field: the annotations, then the validation sets (which must add values
 * the annotations do not list: a set the source has caught up with is reported, so the table only shrinks),
 * then the roots' apiVersion and kind.
 */
export function deriveEnums(): EnumTable {
  const out: EnumTable = {};
  for (const [def, fields] of Object.entries(annotatedEnums())) out[def] = Object.fromEntries(Object.entries(fields).map(([f, v]) => [f, [...v]]));
  const stale: string[] = [];
  for (const [def, fields] of Object.entries(VALIDATION_ENUMS)) {
    for (const [field, { values }] of Object.entries(fields)) {
      const known = out[def]?.[field] ?? [];
      const repeated = values.filter((v) => known.includes(v));
      if (repeated.length) stale.push(`${def}.${field} (${repeated.join(', ')})`);
      (out[def] ??= {})[field] = [...known, ...values.filter((v) => !known.includes(v))];
    }
  }
  if (stale.length) {
    throw new Error(
      `tools/schema-enums.ts repeats values that ${ENUM_SOURCE_PACKAGE} ${enumSourceVersion()} now annotates: ${stale.join('; ')}. Remove them there.`,
    );
  }
  for (const [def, { apiVersion }] of Object.entries(DOCUMENT_ROOTS)) Object.assign((out[def] ??= {}), { apiVersion: [apiVersion], kind: [def] });
  return out;
}
