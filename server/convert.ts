// Engine and assist results into LSP shapes. Positions already follow the LSP convention (0-based, UTF-16),
// so ranges pass through unchanged.
import {
  CompletionItemKind,
  DiagnosticSeverity,
  InsertTextFormat,
  InsertTextMode,
  MarkupKind,
  SymbolKind,
  type CompletionItem,
  type Diagnostic,
  type DocumentSymbol,
  type Hover,
  type SymbolInformation,
} from 'vscode-languageserver/node';
import type { CompletionEntry } from '../engine/manifest/assist/completion';
import type { HoverInfo } from '../engine/manifest/assist/hover';
import type { SymbolKindName, SymbolNode } from '../engine/manifest/assist/symbols';
import type { Finding, Severity } from '../engine/manifest/types';

export const SOURCE = 'podsmith';

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
};

export function toDiagnostic(f: Finding): Diagnostic {
  return { range: f.range, severity: SEVERITY[f.severity], source: SOURCE, code: f.rule, message: f.message };
}

export function toHover(info: HoverInfo): Hover {
  return { contents: { kind: MarkupKind.Markdown, value: info.contents }, range: info.range };
}

const COMPLETION_KIND: Record<CompletionEntry['kind'], CompletionItemKind> = {
  field: CompletionItemKind.Property,
  value: CompletionItemKind.Value,
  reference: CompletionItemKind.Reference,
};

export function toCompletionItem(e: CompletionEntry, snippets: boolean): CompletionItem {
  const snippet = e.snippet && snippets;
  const newText = e.snippet && !snippets ? snippetToPlain(e.insertText) : e.insertText;
  return {
    label: e.label,
    kind: COMPLETION_KIND[e.kind],
    detail: e.detail,
    documentation: e.documentation ? { kind: MarkupKind.Markdown, value: e.documentation } : undefined,
    textEdit: { range: e.range, newText },
    insertTextFormat: snippet ? InsertTextFormat.Snippet : InsertTextFormat.PlainText,
    // Snippets carry their own indentation, computed from the key's column.
    insertTextMode: InsertTextMode.asIs,
    sortText: e.sortText,
    filterText: e.filterText,
  };
}

/** Drops tabstops and turns a choice into its first option, for clients without snippet support. */
export function snippetToPlain(s: string): string {
  return s
    .replace(/\$\{\d+\|((?:\\.|[^,|\\])*)[,|][^}]*\}/g, (_m, first: string) => first.replace(/\\(.)/g, '$1'))
    .replace(/\$\{\d+:([^}]*)\}/g, '$1')
    .replace(/\$\d+/g, '')
    .replace(/\\([$}\\])/g, '$1');
}

const SYMBOL_KIND: Record<SymbolKindName, SymbolKind> = {
  pod: SymbolKind.Module,
  workload: SymbolKind.Module,
  configmap: SymbolKind.Module,
  secret: SymbolKind.Module,
  object: SymbolKind.Module,
  container: SymbolKind.Class,
  initContainer: SymbolKind.Class,
  port: SymbolKind.Number,
  volumeMount: SymbolKind.Field,
  volume: SymbolKind.Struct,
};

export function toDocumentSymbol(n: SymbolNode): DocumentSymbol {
  return {
    name: n.name || '(unnamed)',
    detail: n.detail,
    kind: SYMBOL_KIND[n.kind],
    range: n.range,
    selectionRange: n.selectionRange,
    children: n.children.map(toDocumentSymbol),
  };
}

/** The flat form, for clients without hierarchical symbol support. */
export function toSymbolInformation(nodes: SymbolNode[], uri: string, container?: string): SymbolInformation[] {
  return nodes.flatMap((n) => [
    { name: n.name || '(unnamed)', kind: SYMBOL_KIND[n.kind], location: { uri, range: n.range }, containerName: container },
    ...toSymbolInformation(n.children, uri, n.name),
  ]);
}
