// Wires the engine to an LSP connection: documents in, diagnostics out, and the assist features on request.
// All knowledge of manifests lives in engine/manifest; this file only routes, caches and guards.
import {
  CodeActionKind,
  CompletionTriggerKind,
  DidChangeConfigurationNotification,
  LSPErrorCodes,
  ResponseError,
  TextDocumentSyncKind,
  TextDocuments,
  type CancellationToken,
  type ClientCapabilities,
  type Connection,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { completeAt } from '../engine/manifest/assist/completion';
import { hoverAt } from '../engine/manifest/assist/hover';
import { documentSymbols } from '../engine/manifest/assist/symbols';
import { FIX_ALL_KIND, codeActions } from './actions';
import { Analyses } from './analyses';
import { toCompletionItem, toDiagnostic, toDocumentSymbol, toHover, toSymbolInformation } from './convert';
import { isCheckable, languageOfDocument, lintFileName } from './files';
import { LintScheduler } from './scheduler';
import { SettingsStore, type PodsmithSettings } from './settings';

export const SERVER_NAME = 'podsmith';

export function startServer(connection: Connection): void {
  const documents = new TextDocuments(TextDocument);
  const settings = new SettingsStore(connection);
  const analyses = new Analyses();
  let client: ClientCapabilities = {};

  // ---- diagnostics --------------------------------------------------------------------------------------

  const scheduler = new LintScheduler((uri) => {
    // An engine bug must cost one document its diagnostics, not the whole server.
    publish(uri).catch((e: unknown) => connection.console.error(`Podsmith could not lint ${uri}: ${(e as Error)?.stack ?? e}`));
  });
  /** uri → version last published, so an older run never overwrites a newer result. */
  const published = new Map<string, number>();

  async function publish(uri: string): Promise<void> {
    const doc = documents.get(uri);
    if (!doc || !isCheckable(doc)) return;
    const generation = settings.generation;
    const s = settings.cached(uri) ?? (await settings.load(uri));
    // While settings were fetched a newer version or newer settings may have arrived; either one scheduled
    // its own run, so this one is stale.
    const now = documents.get(uri);
    if (!now || now.version !== doc.version || settings.generation !== generation) return;
    if ((published.get(uri) ?? -1) > doc.version) return;
    const diagnostics = s.enable ? analyses.lint(doc, s).findings.map(toDiagnostic) : [];
    published.set(uri, doc.version);
    void connection.sendDiagnostics({ uri, version: doc.version, diagnostics });
  }

  documents.onDidChangeContent(({ document }) => scheduler.request(document.uri, document.version));
  documents.onDidClose(({ document }) => {
    scheduler.cancel(document.uri);
    analyses.forget(document.uri);
    settings.forget(document.uri);
    published.delete(document.uri);
    void connection.sendDiagnostics({ uri: document.uri, diagnostics: [] });
  });

  // ---- lifecycle and settings ---------------------------------------------------------------------------

  connection.onInitialize((params): InitializeResult => {
    client = params.capabilities;
    settings.configure(client.workspace?.configuration === true, params.initializationOptions?.settings);
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        hoverProvider: true,
        // Space after `key:` offers values; `:` covers clients that only trigger on listed characters; a
        // typed `"` starts a property name or a value in JSON.
        completionProvider: { triggerCharacters: [' ', ':', '"'], resolveProvider: false },
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, FIX_ALL_KIND], resolveProvider: false },
        documentSymbolProvider: { label: 'Podsmith' },
      },
      serverInfo: { name: SERVER_NAME, version: process.env.PODSMITH_VERSION ?? '0.1.0' },
    };
  });

  connection.onInitialized(() => {
    if (client.workspace?.didChangeConfiguration?.dynamicRegistration) {
      void connection.client.register(DidChangeConfigurationNotification.type, { section: 'podsmith' });
    }
  });

  connection.onDidChangeConfiguration((change) => {
    settings.reset(change.settings);
    for (const doc of documents.all()) scheduler.request(doc.uri, doc.version);
  });

  // ---- requests -----------------------------------------------------------------------------------------

  /**
   * The open, checkable document a request is about, with its settings, or undefined when Podsmith has
   * nothing to say. Throws RequestCancelled when the client gave up meanwhile.
   */
  async function target(uri: string, token: CancellationToken): Promise<{ doc: TextDocument; s: PodsmithSettings } | undefined> {
    const doc = documents.get(uri);
    if (!doc || !isCheckable(doc)) return undefined;
    const s = settings.cached(uri) ?? (await settings.load(uri));
    if (token.isCancellationRequested) throw new ResponseError(LSPErrorCodes.RequestCancelled, 'Request cancelled');
    // A version that changed during the wait answers a question nobody asks any more.
    if (documents.get(uri)?.version !== doc.version || !s.enable) return undefined;
    return { doc, s };
  }

  connection.onHover(async (params, token) => {
    const t = await target(params.textDocument.uri, token);
    if (!t) return null;
    const info = hoverAt(analyses.analysis(t.doc), t.doc.offsetAt(params.position));
    return info ? toHover(info) : null;
  });

  connection.onCompletion(async (params, token) => {
    const t = await target(params.textDocument.uri, token);
    if (!t) return [];
    const entries = completeAt(t.doc.getText(), t.doc.offsetAt(params.position), {
      fileName: lintFileName(t.doc),
      language: languageOfDocument(t.doc),
      triggerCharacter: params.context?.triggerKind === CompletionTriggerKind.TriggerCharacter ? params.context.triggerCharacter : undefined,
    });
    const snippets = client.textDocument?.completion?.completionItem?.snippetSupport === true;
    return entries.map((e) => toCompletionItem(e, snippets));
  });

  connection.onCodeAction(async (params, token) => {
    const t = await target(params.textDocument.uri, token);
    if (!t) return [];
    const findings = analyses.lint(t.doc, t.s).findings;
    return codeActions(t.doc, findings, params, client.workspace?.workspaceEdit?.documentChanges === true);
  });

  connection.onDocumentSymbol(async (params, token) => {
    const t = await target(params.textDocument.uri, token);
    if (!t) return [];
    const nodes = documentSymbols(analyses.analysis(t.doc));
    if (client.textDocument?.documentSymbol?.hierarchicalDocumentSymbolSupport) return nodes.map(toDocumentSymbol);
    return toSymbolInformation(nodes, t.doc.uri);
  });

  documents.listen(connection);
  connection.listen();
}
