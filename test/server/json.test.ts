// JSON documents over LSP: strict JSON diagnostics (by extension, or by language id when the name says
// nothing), and completion written as JSON, answered on a typed quote.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CompletionItem, InitializeResult, PublishDiagnosticsParams, TextEdit } from 'vscode-languageserver-protocol';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { ensureServerBundle, initialize, launch, shutdown, type Harness } from './lsp-harness';

const POD = `{
  "apiVersion": "v1",
  "kind": "Pod",
  "metadata": {"name": "web"},
  "spec": {
    "containers": [
      {"name": "web", "image": "nginx", "args": ["-g", "daemon off;",]}
    ]
  }
}
`;

describe('language server: JSON manifests', () => {
  let h: Harness;
  let init: InitializeResult;

  async function open(uri: string, languageId: string, text: string): Promise<PublishDiagnosticsParams> {
    const p = h.diagnostics(uri);
    await h.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version: 1, text } });
    return p;
  }

  before(async () => {
    await ensureServerBundle();
    h = launch('stdio');
    init = (await initialize(h)) as InitializeResult;
  });

  after(async () => {
    await h?.dispose();
  });

  it('flags the trailing comma of a .json file, and not of the same text in a .yaml file', async () => {
    const json = await open('file:///work/pod.json', 'json', POD);
    assert.deepEqual(json.diagnostics.map((d) => d.code), ['json-syntax']);
    const comma = POD.split('\n')[6].indexOf('",]') + 1;
    assert.deepEqual(json.diagnostics[0].range, { start: { line: 6, character: comma }, end: { line: 6, character: comma + 1 } });
    const yaml = await open('file:///work/pod.yaml', 'yaml', POD);
    assert.deepEqual(yaml.diagnostics, []);
  });

  it('goes by the language id when the name has no telling extension', async () => {
    const untitled = await open('untitled:Untitled-1', 'json', POD);
    assert.deepEqual(untitled.diagnostics.map((d) => d.code), ['json-syntax']);
    const jsonc = await open('untitled:Untitled-2', 'jsonc', POD.replace('"Pod",', '"Pod", // a comment'));
    assert.ok(jsonc.diagnostics.some((d) => d.code === 'json-syntax' && /Comments/.test(d.message)));
  });

  it('completes property names and values as JSON, on a typed quote', async () => {
    assert.ok(init.capabilities.completionProvider?.triggerCharacters?.includes('"'));
    const uri = 'file:///work/complete.json';
    const text = '{"apiVersion": "v1", "kind": "Pod", "spec": {"containers": [{"name": "web", "image": "nginx", ""}]}}';
    await open(uri, 'json', text);
    const at = text.indexOf('""') + 1;
    const items = await h.connection.sendRequest<CompletionItem[]>('textDocument/completion', {
      textDocument: { uri },
      position: { line: 0, character: at },
      context: { triggerKind: 2, triggerCharacter: '"' },
    });
    const ipp = items.find((i) => i.label === 'imagePullPolicy');
    assert.ok(ipp, JSON.stringify(items.map((i) => i.label)));
    assert.equal(ipp.insertTextFormat, 2);
    assert.equal(ipp.filterText, '"imagePullPolicy"');
    const edit = ipp.textEdit as TextEdit;
    assert.equal(edit.newText, '"imagePullPolicy": "${1|Always,IfNotPresent,Never|}"');
    assert.ok(!items.some((i) => i.label === 'image'), 'present keys are left out');

    // Accept it (first choice), then ask for values inside the new string.
    const doc = TextDocument.create(uri, 'json', 1, text);
    const accepted = TextDocument.applyEdits(doc, [{ range: edit.range, newText: '"imagePullPolicy": ""' }]);
    const p = h.diagnostics(uri, (d) => d.version === 2);
    await h.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ text: accepted }] });
    await p;
    const values = await h.connection.sendRequest<CompletionItem[]>('textDocument/completion', {
      textDocument: { uri },
      position: { line: 0, character: accepted.indexOf('""') + 1 },
    });
    assert.deepEqual(values.map((v) => v.label).sort(), ['Always', 'IfNotPresent', 'Never']);
    const never = values.find((v) => v.label === 'Never')!;
    const done = TextDocument.applyEdits(TextDocument.create(uri, 'json', 2, accepted), [never.textEdit as TextEdit]);
    assert.equal(JSON.parse(done).spec.containers[0].imagePullPolicy, 'Never');
  });

  it('shuts down', async () => {
    assert.equal(await shutdown(h), 0);
  });
});
