import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import type {
  CodeAction,
  CompletionItem,
  DocumentSymbol,
  Hover,
  MarkupContent,
  PublishDiagnosticsParams,
  TextDocumentEdit,
  TextEdit,
} from 'vscode-languageserver-protocol';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { BAD_POD, BAD_POD_LINES, GOOD_POD } from './fixtures';
import { ensureServerBundle, initialize, launch, shutdown, type Harness } from './lsp-harness';

const URI = 'file:///work/pod.yaml';

describe('language server: hover, completion, code actions, symbols', () => {
  let h: Harness;
  let opened: PublishDiagnosticsParams;
  let version = 1;
  let text = BAD_POD;

  async function open(uri: string, content: string): Promise<PublishDiagnosticsParams> {
    const p = h.diagnostics(uri);
    await h.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 1, text: content } });
    return p;
  }

  /** Replaces the whole text (as a single incremental change) and waits for its diagnostics. */
  async function replaceAll(next: string): Promise<PublishDiagnosticsParams> {
    const doc = TextDocument.create(URI, 'yaml', version, text);
    version++;
    const p = h.diagnostics(URI, (d) => d.version === version);
    await h.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri: URI, version },
      contentChanges: [{ range: { start: doc.positionAt(0), end: doc.positionAt(text.length) }, text: next }],
    });
    text = next;
    return p;
  }

  const hover = (line: number, character: number) =>
    h.connection.sendRequest<Hover | null>('textDocument/hover', { textDocument: { uri: URI }, position: { line, character } });
  const complete = (line: number, character: number) =>
    h.connection.sendRequest<CompletionItem[] | { items: CompletionItem[] }>('textDocument/completion', {
      textDocument: { uri: URI },
      position: { line, character },
    });
  const items = (r: CompletionItem[] | { items: CompletionItem[] }) => (Array.isArray(r) ? r : r.items);

  before(async () => {
    await ensureServerBundle();
    h = launch('stdio');
    await initialize(h);
    opened = await open(URI, BAD_POD);
  });

  after(async () => {
    await h?.dispose();
  });

  it('hovers a field with its description and Podsmith limit', async () => {
    const h1 = await hover(BAD_POD_LINES.grace, 6);
    assert.ok(h1);
    const md = (h1.contents as MarkupContent).value;
    assert.equal((h1.contents as MarkupContent).kind, 'markdown');
    assert.match(md, /terminationGracePeriodSeconds/);
    assert.match(md, /Podsmith limit: at most 300 s/);
    assert.match(md, /seconds/i, 'the schema description is shown');
    assert.deepEqual(h1.range, { start: { line: BAD_POD_LINES.grace, character: 2 }, end: { line: BAD_POD_LINES.grace, character: 31 } });

    const h2 = await hover(BAD_POD_LINES.pullPolicy, 8);
    assert.match((h2!.contents as MarkupContent).value, /Allowed values: `Always`, `IfNotPresent`, `Never`/);

    const h3 = await hover(6, 4);
    assert.match((h3!.contents as MarkupContent).value, /Podsmith limit: at most 16 containers/);
    assert.equal(await hover(1, 0).then((x) => x && (x.contents as MarkupContent).value.includes('kind')), true);
  });

  it('completes enum values after `key: ` and field names on a half-typed line', async () => {
    const values = items(await complete(BAD_POD_LINES.pullPolicy, 21));
    assert.deepEqual(values.map((i) => i.label).sort(), ['Always', 'IfNotPresent', 'Never']);
    const always = values.find((i) => i.label === 'Always')!;
    assert.deepEqual((always.textEdit as TextEdit).range, {
      start: { line: BAD_POD_LINES.pullPolicy, character: 21 },
      end: { line: BAD_POD_LINES.pullPolicy, character: 30 },
    });

    // Half-typed: `    imag` inserted as a new line under the container's image.
    const lines = GOOD_POD.split('\n');
    lines.splice(8, 0, '    imag');
    await replaceAll(lines.join('\n'));
    const fields = items(await complete(8, 8));
    const labels = fields.map((i) => i.label);
    assert.ok(labels.includes('imagePullPolicy'), JSON.stringify(labels));
    assert.ok(!labels.includes('image'), 'image is already there');
    const ipp = fields.find((i) => i.label === 'imagePullPolicy')!;
    assert.equal(ipp.insertTextFormat, 2, 'a snippet');
    assert.equal((ipp.textEdit as TextEdit).newText, 'imagePullPolicy: ${1|Always,IfNotPresent,Never|}');
    const env = fields.find((i) => i.label === 'env')!;
    assert.equal((env.textEdit as TextEdit).newText, 'env:\n      - $1');

    // A volume mount name offers the declared volumes.
    const mount = GOOD_POD.replace('    - name: data\n      mountPath', '    - name: \n      mountPath');
    await replaceAll(mount);
    assert.deepEqual(items(await complete(9, 12)).map((i) => i.label), ['data']);
  });

  it('completes runtime classes in a Deployment template', async () => {
    const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      runtimeClassName: 
      containers:
      - name: api
        image: api:1
`;
    await replaceAll(deployment);
    const labels = items(await complete(7, 24)).map((i) => i.label).sort();
    assert.deepEqual(labels, ['pod-containers', 'pod-microvm', 'pod-microvm-containers', 'pod-wasm']);
  });

  it('offers the engine fix as a quick fix that repairs the problem', async () => {
    const diagnostics = await replaceAll(BAD_POD);
    const diag = diagnostics.diagnostics.find((d) => d.code === 'api-version')!;
    const actions = await h.connection.sendRequest<CodeAction[]>('textDocument/codeAction', {
      textDocument: { uri: URI },
      range: diag.range,
      context: { diagnostics: [diag], only: ['quickfix'] },
    });
    const fix = actions.find((a) => a.title === 'Change apiVersion to v1');
    assert.ok(fix, JSON.stringify(actions.map((a) => a.title)));
    assert.equal(fix.kind, 'quickfix');
    assert.equal(fix.isPreferred, true);
    assert.deepEqual(fix.diagnostics, [diag]);
    const change = fix.edit!.documentChanges![0] as TextDocumentEdit;
    assert.equal(change.textDocument.version, version, 'edits are pinned to the current version');

    // Apply the edit and check the problem is gone.
    const doc = TextDocument.create(URI, 'yaml', version, text);
    const fixed = TextDocument.applyEdits(doc, change.edits as TextEdit[]);
    const after = await replaceAll(fixed);
    assert.ok(!after.diagnostics.some((d) => d.code === 'api-version'));
    assert.ok(after.diagnostics.some((d) => d.code === 'schema-enum'));

    // Several choices for an enum, none preferred; fix-all only when asked for.
    const enumDiag = after.diagnostics.find((d) => d.code === 'schema-enum')!;
    const enumActions = await h.connection.sendRequest<CodeAction[]>('textDocument/codeAction', {
      textDocument: { uri: URI },
      range: { start: enumDiag.range.start, end: enumDiag.range.start },
      context: { diagnostics: [] },
    });
    assert.deepEqual(enumActions.map((a) => a.title).sort(), ['Change to Always', 'Change to IfNotPresent', 'Change to Never']);
    assert.equal(enumActions[0].diagnostics?.[0].code, 'schema-enum', 'the diagnostic comes from the current lint');
    const fixAll = await h.connection.sendRequest<CodeAction[]>('textDocument/codeAction', {
      textDocument: { uri: URI },
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
      context: { diagnostics: [], only: ['source.fixAll'] },
    });
    assert.equal(fixAll.length, 1);
    assert.equal(fixAll[0].kind, 'source.fixAll.podsmith');
  });

  it('returns no quick fix for a diagnostic the client made up', async () => {
    const actions = await h.connection.sendRequest<CodeAction[]>('textDocument/codeAction', {
      textDocument: { uri: URI },
      range: { start: { line: 2, character: 0 }, end: { line: 2, character: 5 } },
      context: {
        diagnostics: [{ range: { start: { line: 2, character: 0 }, end: { line: 2, character: 5 } }, message: 'x', source: 'podsmith', code: 'api-version' }],
      },
    });
    assert.deepEqual(actions, []);
  });

  it('outlines the document hierarchically', async () => {
    await replaceAll(GOOD_POD);
    const symbols = await h.connection.sendRequest<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri: URI } });
    assert.equal(symbols.length, 1);
    assert.equal(symbols[0].name, 'Pod web');
    const [container, volume] = symbols[0].children!;
    assert.equal(container.name, 'web');
    assert.equal(container.detail, 'nginx:1.27');
    assert.deepEqual(container.children!.map((c) => [c.name, c.detail]), [['data', '/data']]);
    assert.equal(volume.name, 'data');
  });

  it('answers a cancelled request with RequestCancelled or a result, never hanging', async () => {
    const source = new CancellationTokenSource();
    const pending = h.connection.sendRequest('textDocument/hover', { textDocument: { uri: URI }, position: { line: 3, character: 3 } }, source.token);
    source.cancel();
    try {
      await pending;
    } catch (e) {
      assert.equal((e as { code?: number }).code, -32800);
    }
  });

  it('gives nothing for documents it does not know', async () => {
    assert.equal(await h.connection.sendRequest('textDocument/hover', { textDocument: { uri: 'file:///nope.yaml' }, position: { line: 0, character: 0 } }), null);
    assert.deepEqual(await h.connection.sendRequest('textDocument/documentSymbol', { textDocument: { uri: 'file:///nope.yaml' } }), []);
  });

  it('initially published diagnostics for the opened file', () => {
    assert.ok(opened.diagnostics.length > 0);
  });

  it('shuts down and exits', async () => {
    assert.equal(await shutdown(h), 0);
  });
});

describe('language server over node IPC, with a minimal client', () => {
  let h: Harness;

  before(async () => {
    await ensureServerBundle();
    h = launch('ipc');
    // No configuration pull, no hierarchical symbols, no snippets, no versioned edits.
    await initialize(h, {});
  });

  after(async () => {
    await h?.dispose();
  });

  it('lints with pushed settings and answers in the older shapes', async () => {
    const uri = 'file:///work/ipc.yaml';
    const first = h.diagnostics(uri);
    await h.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 1, text: BAD_POD } });
    assert.ok((await first).diagnostics.some((d) => d.code === 'api-version'));
    assert.equal(h.configurationRequests.length, 0, 'no pull without the capability');

    const pushed = h.diagnostics(uri, (p) => !p.diagnostics.some((d) => d.code === 'api-version'));
    await h.connection.sendNotification('workspace/didChangeConfiguration', { settings: { podsmith: { rules: { 'api-version': 'off' } } } });
    await pushed;

    const symbols = await h.connection.sendRequest<{ name: string; containerName?: string }[]>('textDocument/documentSymbol', { textDocument: { uri } });
    assert.deepEqual(symbols.map((s) => [s.name, s.containerName]), [
      ['Pod web', undefined],
      ['web', 'Pod web'],
      ['http', 'web'],
    ]);

    // Without snippet support a snippet degrades to plain text (a choice becomes its first option).
    const blank = 'file:///work/ipc-blank.yaml';
    const opened = h.diagnostics(blank);
    const text = GOOD_POD.replace('    image: nginx:1.27\n', '    image: nginx:1.27\n    \n');
    await h.connection.sendNotification('textDocument/didOpen', { textDocument: { uri: blank, languageId: 'yaml', version: 1, text } });
    await opened;
    const completion = await h.connection.sendRequest<CompletionItem[]>('textDocument/completion', {
      textDocument: { uri: blank },
      position: { line: 8, character: 4 },
    });
    const ipp = completion.find((i) => i.label === 'imagePullPolicy');
    assert.ok(ipp);
    assert.equal(ipp.insertTextFormat, 1, 'plain text without snippet support');
    assert.equal((ipp.textEdit as TextEdit).newText, 'imagePullPolicy: Always');
    const env = completion.find((i) => i.label === 'env')!;
    assert.equal((env.textEdit as TextEdit).newText, 'env:\n      - ');
  });

  it('exits when told to', async () => {
    assert.equal(await shutdown(h), 0);
  });
});
