// Helpers for the extension-host tests: fixture paths, Podsmith's diagnostics, and event-driven waits
// (no fixed sleeps: every wait resolves on a VS Code event and fails with the last state it saw).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

export const EXTENSION_ID = 'podsmith.podsmith';
const DEFAULT_TIMEOUT_MS = 20_000;

export function fixture(name: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the tests need the test/vscode/workspace folder open');
  return vscode.Uri.joinPath(folder.uri, name);
}

export async function open(name: string): Promise<vscode.TextDocument> {
  const doc = await vscode.workspace.openTextDocument(fixture(name));
  await vscode.window.showTextDocument(doc, { preview: false });
  return doc;
}

/** The rule id of a diagnostic: the server may send a plain code or one with a documentation link. */
export function codeOf(d: vscode.Diagnostic): string {
  const c = d.code;
  return String(typeof c === 'object' && c !== null ? c.value : c);
}

export function podsmithDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'podsmith');
}

export function describe(diags: readonly vscode.Diagnostic[]): string {
  if (diags.length === 0) return '(none)';
  return diags
    .map((d) => `  line ${d.range.start.line}:${d.range.start.character} [${codeOf(d)}] ${vscode.DiagnosticSeverity[d.severity]}: ${d.message}`)
    .join('\n');
}

/** 0-based line of the `nth` (1-based) line containing `needle`. */
export function lineOf(doc: vscode.TextDocument, needle: string, nth = 1): number {
  let seen = 0;
  for (let i = 0; i < doc.lineCount; i++) {
    if (doc.lineAt(i).text.includes(needle) && ++seen === nth) return i;
  }
  throw new Error(`${doc.uri.path} has no occurrence ${nth} of ${JSON.stringify(needle)}`);
}

/**
 * Resolves with the document's Podsmith diagnostics once `ready` accepts them, checking now and on every
 * diagnostics change for that document.
 */
export function waitForDiagnostics(
  uri: vscode.Uri,
  ready: (diags: vscode.Diagnostic[]) => boolean,
  what: string,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<vscode.Diagnostic[]> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const diags = podsmithDiagnostics(uri);
      if (!ready(diags)) return false;
      clearTimeout(timer);
      sub.dispose();
      resolve(diags);
      return true;
    };
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} in ${uri.path}; diagnostics now:\n${describe(podsmithDiagnostics(uri))}`));
    }, timeoutMs);
    const key = uri.toString();
    const sub = vscode.languages.onDidChangeDiagnostics((e) => {
      if (e.uris.some((u) => u.toString() === key)) check();
    });
    check();
  });
}

/** Waits until the document has at least one finding of each of `codes`. */
export function waitForCodes(uri: vscode.Uri, codes: string[]): Promise<vscode.Diagnostic[]> {
  return waitForDiagnostics(uri, (ds) => codes.every((c) => ds.some((d) => codeOf(d) === c)), `findings ${codes.join(', ')}`);
}

/** The single finding with this code on this line, with a readable failure otherwise. */
export function findingAt(diags: vscode.Diagnostic[], code: string, line: number): vscode.Diagnostic {
  const hits = diags.filter((d) => codeOf(d) === code && d.range.start.line === line);
  assert.equal(hits.length, 1, `expected one [${code}] finding on line ${line}; got:\n${describe(diags)}`);
  return hits[0]!;
}

/** Throws away unsaved edits in every open editor and closes them, so each test starts from the files on disk. */
export async function revertAndCloseAll(): Promise<void> {
  for (;;) {
    const editor = vscode.window.activeTextEditor;
    if (!editor) break;
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    if (vscode.window.activeTextEditor === editor) break; // not closable: leave it rather than spin
  }
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}

/** Sets a `podsmith.*` user setting (not workspace: that would write into the fixture folder). */
export async function setSetting(key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration('podsmith').update(key, value, vscode.ConfigurationTarget.Global);
}

/** Plain text of hover contents, whatever mix of MarkdownString and MarkedString the providers returned. */
export function hoverText(hovers: vscode.Hover[]): string {
  return hovers
    .flatMap((h) => h.contents)
    .map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : String(c)))
    .join('\n');
}

export function labelOf(item: vscode.CompletionItem): string {
  return typeof item.label === 'string' ? item.label : item.label.label;
}

/**
 * Proves that the server has handled everything opened before this call, without sleeping: it opens a new
 * untitled manifest with a known finding and waits for that finding. The server handles documents in the
 * order they arrive, so once the new one is linted the earlier ones have had their turn.
 */
export async function serverCaughtUp(): Promise<void> {
  const doc = await vscode.workspace.openTextDocument({
    language: 'yaml',
    content: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: sentinel\nspec:\n  containers:\n    - name: c\n      image: busybox\n      sentinelField: 1\n',
  });
  await waitForDiagnostics(doc.uri, (ds) => ds.length > 0, 'the sentinel document\'s findings');
}
