// Field descriptions that client-node leaves out. openapi-generator drops the description of every field
// whose type is another model ($ref) or IntOrString, keeping at best the referenced type's own text. The
// kubernetes-types declarations (generated from the same OpenAPI, 1.30) keep them, so the generator reads
// them for those fields only. Used for hover text; never for the set of fields or their types.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

const TYPES_DIR = join(__dirname, '..', 'node_modules', 'kubernetes-types');

let docs: Map<string, string> | undefined;

function load(): Map<string, string> {
  const out = new Map<string, string>();
  for (const rel of ['core/v1.d.ts', 'meta/v1.d.ts']) {
    const file = join(TYPES_DIR, rel);
    const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    for (const stmt of sf.statements) {
      if (!ts.isInterfaceDeclaration(stmt)) continue;
      for (const member of stmt.members) {
        if (!ts.isPropertySignature(member) || !member.name) continue;
        const name = ts.isIdentifier(member.name) || ts.isStringLiteral(member.name) ? member.name.text : undefined;
        const jsDoc = (member as { jsDoc?: ts.JSDoc[] }).jsDoc;
        const text = jsDoc?.map((d) => ts.getTextOfJSDocComment(d.comment) ?? '').join('\n').trim();
        if (name && text) out.set(`${stmt.name.text}.${name}`, text);
      }
    }
  }
  return out;
}

export function kubernetesTypesVersion(): string {
  return (JSON.parse(readFileSync(join(TYPES_DIR, 'package.json'), 'utf8')) as { version: string }).version;
}

/** The kubernetes-types description of `definition.field`, if it declares one. */
export function fieldDoc(definition: string, field: string): string | undefined {
  docs ??= load();
  return docs.get(`${definition}.${field}`);
}
