// Reads the Kubernetes model classes that @kubernetes/client-node generates from the release OpenAPI spec:
// field names and types from each model's `attributeTypeMap` (.js), descriptions and optionality from its
// declaration file (.d.ts). Only the generator uses this; nothing at runtime depends on client-node.
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

export interface SourceField {
  /** JSON field name. */
  name: string;
  /** client-node type expression: string, number, Array<V1Foo>, { [key: string]: string; }, IntOrString, … */
  type: string;
  /** OpenAPI format: int32, int64, date-time, byte, double, int-or-string or "". */
  format: string;
  description?: string;
  required: boolean;
}

export interface SourceModel {
  /** Class name, e.g. V1Container. */
  className: string;
  description?: string;
  fields: SourceField[];
}

export const MODELS_DIR = join(__dirname, '..', 'node_modules', '@kubernetes', 'client-node', 'dist', 'gen', 'models');

export function clientNodeVersion(): string {
  const pkg = JSON.parse(readFileSync(join(MODELS_DIR, '..', '..', '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** The "OpenAPI spec version" line every generated file carries. */
export function openApiRelease(): string {
  const text = readFileSync(join(MODELS_DIR, 'V1Pod.js'), 'utf8');
  const m = /OpenAPI spec version:\s*(\S+)/.exec(text);
  if (!m) throw new Error('V1Pod.js does not name its OpenAPI spec version');
  return m[1];
}

interface RawAttribute {
  name: string;
  baseName: string;
  type: string;
  format: string;
}

/** The attributeTypeMap literal is plain JSON inside generated code, so it is read as text rather than imported (the package is ESM). */
function readAttributes(className: string): RawAttribute[] {
  const text = readFileSync(join(MODELS_DIR, `${className}.js`), 'utf8');
  const marker = `${className}.attributeTypeMap = `;
  const start = text.indexOf(marker);
  if (start < 0) throw new Error(`${className}.js has no attributeTypeMap`);
  const end = text.indexOf('];', start);
  return JSON.parse(text.slice(start + marker.length, end + 1)) as RawAttribute[];
}

/**
 * The JSDoc nearest to a node, with the generator's escaping (\', \" and \\) undone. Only the last block counts:
 * the first class in a file also carries the file's banner comment.
 */
function docOf(node: ts.Node): string | undefined {
  const docs = (node as { jsDoc?: ts.JSDoc[] }).jsDoc;
  if (!docs?.length) return undefined;
  const raw = ts.getTextOfJSDocComment(docs[docs.length - 1].comment) ?? '';
  const text = raw.replace(/\\(['"\\])/g, '$1').trim();
  return text || undefined;
}

interface Declared {
  description?: string;
  fields: Map<string, { description?: string; optional: boolean }>;
}

function readDeclaration(className: string): Declared {
  const file = join(MODELS_DIR, `${className}.d.ts`);
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const out: Declared = { fields: new Map() };
  for (const stmt of sf.statements) {
    if (!ts.isClassDeclaration(stmt) || stmt.name?.text !== className) continue;
    out.description = docOf(stmt);
    for (const member of stmt.members) {
      if (!ts.isPropertyDeclaration(member)) continue;
      if (member.modifiers?.some((m) => m.kind === ts.SyntaxKind.StaticKeyword)) continue;
      const name = ts.isStringLiteral(member.name) || ts.isIdentifier(member.name) ? member.name.text : undefined;
      if (name === undefined) continue;
      out.fields.set(name, { description: docOf(member), optional: !!member.questionToken });
    }
  }
  return out;
}

const cache = new Map<string, SourceModel>();

export function hasModel(className: string): boolean {
  return existsSync(join(MODELS_DIR, `${className}.js`));
}

export function loadModel(className: string): SourceModel {
  const hit = cache.get(className);
  if (hit) return hit;
  const attrs = readAttributes(className);
  const decl = readDeclaration(className);
  const fields: SourceField[] = attrs.map((a) => {
    // The class property is named `name`; the JSON field is `baseName` (they differ for e.g. `_ref`).
    const d = decl.fields.get(a.name);
    if (!d) throw new Error(`${className}.d.ts does not declare ${a.name}`);
    return { name: a.baseName, type: a.type, format: a.format, description: d.description, required: !d.optional };
  });
  const model: SourceModel = { className, description: decl.description, fields };
  cache.set(className, model);
  return model;
}
