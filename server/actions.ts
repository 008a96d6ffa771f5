// Quick fixes from the engine's findings. The findings are those of the document's current version, never
// the diagnostics the client sends back, so a fix is always computed against the text it will edit.
import {
  CodeActionKind,
  TextDocumentEdit,
  type CodeAction,
  type CodeActionParams,
  type Diagnostic,
  type TextEdit,
  type WorkspaceEdit,
} from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { fixableAt, preferredEdits, sameRange } from '../engine/manifest/assist/actions';
import type { Finding } from '../engine/manifest/types';
import { SOURCE, toDiagnostic } from './convert';

export const FIX_ALL_KIND = `${CodeActionKind.SourceFixAll}.podsmith`;

/** Whether a client's `only` filter admits `kind` (kinds are dot-separated hierarchies). */
function admits(only: string[] | undefined, kind: string): boolean {
  return !only || only.some((o) => kind === o || kind.startsWith(`${o}.`));
}

export function codeActions(
  doc: TextDocument,
  findings: Finding[],
  params: CodeActionParams,
  versionedEdits: boolean,
): CodeAction[] {
  const only = params.context.only;
  const edit = (edits: TextEdit[]): WorkspaceEdit =>
    versionedEdits
      ? { documentChanges: [TextDocumentEdit.create({ uri: doc.uri, version: doc.version }, edits)] }
      : { changes: { [doc.uri]: edits } };
  const out: CodeAction[] = [];
  if (admits(only, CodeActionKind.QuickFix)) {
    for (const f of fixableAt(findings, params.range)) {
      const diagnostic = matchingDiagnostic(params.context.diagnostics, f) ?? toDiagnostic(f);
      for (const fix of f.fixes ?? []) {
        out.push({
          title: fix.title,
          kind: CodeActionKind.QuickFix,
          diagnostics: [diagnostic],
          isPreferred: fix.preferred === true,
          edit: edit(fix.edits),
        });
      }
    }
  }
  // Fix-all is a source action: offered only when asked for (on save, or the "Fix all" command).
  if (only && admits(only, FIX_ALL_KIND)) {
    const { fixes, edits } = preferredEdits(findings);
    if (fixes.length) out.push({ title: 'Podsmith: fix all auto-fixable problems', kind: FIX_ALL_KIND, edit: edit(edits) });
  }
  return out;
}

/** The client's copy of the finding's diagnostic, so the editor links the action to what it shows. */
function matchingDiagnostic(diagnostics: Diagnostic[], f: Finding): Diagnostic | undefined {
  return diagnostics.find((d) => d.source === SOURCE && d.code === f.rule && sameRange(d.range, f.range));
}
