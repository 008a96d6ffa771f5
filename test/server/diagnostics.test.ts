import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Diagnostic, PublishDiagnosticsParams } from 'vscode-languageserver-protocol';
import { BAD_POD, BAD_POD_LINES, GOOD_POD, UNRELATED } from './fixtures';
import { ensureServerBundle, initialize, launch, shutdown, type Harness } from './lsp-harness';

const codes = (p: PublishDiagnosticsParams) => p.diagnostics.map((d) => String(d.code)).sort();
const byCode = (p: PublishDiagnosticsParams, code: string): Diagnostic => {
  const d = p.diagnostics.find((x) => x.code === code);
  assert.ok(d, `expected a ${code} diagnostic in ${JSON.stringify(codes(p))}`);
  return d;
};

describe('language server: diagnostics', () => {
  let h: Harness;

  before(async () => {
    await ensureServerBundle();
    h = launch('stdio');
    await initialize(h);
  });

  after(async () => {
    await h?.dispose();
  });

  it('publishes diagnostics for a bad pod, on the offending lines, with rule codes', async () => {
    const uri = 'file:///work/bad-pod.yaml';
    const published = h.diagnostics(uri);
    await h.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 1, text: BAD_POD } });
    const p = await published;
    assert.equal(p.version, 1);
    const api = byCode(p, 'api-version');
    assert.equal(api.range.start.line, BAD_POD_LINES.apiVersion);
    assert.equal(api.source, 'podsmith');
    assert.equal(api.severity, 1);
    assert.equal(byCode(p, 'schema-enum').range.start.line, BAD_POD_LINES.pullPolicy);
    assert.equal(byCode(p, 'limit-grace-period').range.start.line, BAD_POD_LINES.grace);
  });

  it('publishes empty diagnostics for unrelated YAML, even with a syntax error', async () => {
    const uri = 'file:///work/compose.yaml';
    const published = h.diagnostics(uri);
    await h.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 1, text: UNRELATED } });
    assert.deepEqual((await published).diagnostics, []);
  });

  it('relints on an incremental change and tags the result with the new version', async () => {
    const uri = 'file:///work/edit.yaml';
    const first = h.diagnostics(uri);
    await h.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 1, text: GOOD_POD } });
    assert.deepEqual((await first).diagnostics, []);

    // Replace `v1` on line 0 with `apps/v1`: an incremental edit of two characters.
    const second = h.diagnostics(uri, (p) => p.version === 2);
    await h.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: 2 },
      contentChanges: [{ range: { start: { line: 0, character: 12 }, end: { line: 0, character: 14 } }, text: 'apps/v1' }],
    });
    const p = await second;
    assert.deepEqual(codes(p), ['api-version']);
    assert.deepEqual(p.diagnostics[0].range, { start: { line: 0, character: 12 }, end: { line: 0, character: 19 } });

    // And a change that breaks a mount reference, typed as two edits in one notification.
    const third = h.diagnostics(uri, (p) => p.version === 3);
    await h.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: 3 },
      contentChanges: [
        { range: { start: { line: 0, character: 12 }, end: { line: 0, character: 19 } }, text: 'v1' },
        { range: { start: { line: 12, character: 10 }, end: { line: 12, character: 14 } }, text: 'cache' },
      ],
    });
    assert.deepEqual(codes(await third), ['volume-mount-undeclared']);
  });

  it('coalesces a burst of changes that outruns the linter, and publishes the last version', async () => {
    const uri = 'file:///work/burst.yaml';
    // A large pod (16 containers × 120 variables) takes the linter long enough for changes to queue up.
    let text = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: big\nspec:\n  containers:\n';
    for (let c = 0; c < 16; c++) {
      text += `  - name: c${c}\n    image: nginx:1.27\n    env:\n`;
      for (let e = 0; e < 120; e++) text += `    - name: VAR_${e}\n      value: "v${e}"\n`;
    }
    const opened = h.diagnostics(uri);
    await h.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 1, text } });
    await opened;
    const seen: number[] = [];
    const last = h.diagnostics(uri, (p) => {
      seen.push(p.version!);
      return p.version === 21;
    });
    // Type "x" twenty times at the end of the pod name, without waiting in between.
    for (let v = 2; v <= 21; v++) {
      const character = 11 + (v - 2);
      void h.connection.sendNotification('textDocument/didChange', {
        textDocument: { uri, version: v },
        contentChanges: [{ range: { start: { line: 3, character }, end: { line: 3, character } }, text: 'x' }],
      });
    }
    const p = await last;
    assert.deepEqual(p.diagnostics, []);
    assert.ok(seen.every((v, i) => i === 0 || v > seen[i - 1]), `versions published in order: ${seen}`);
    assert.ok(seen.length < 20, `stale versions were skipped (published ${seen.join(', ')})`);
  });

  // Keystroke-to-diagnostics latency is measured against yaml-language-server by `npm run bench` (scenario c).
  it('publishes diagnostics for every change it is given time to lint, each for its own version', async () => {
    const uri = 'file:///work/each-change.yaml';
    const opened = h.diagnostics(uri);
    await h.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 1, text: BAD_POD } });
    const first = codes(await opened);
    assert.ok(first.length > 0, 'the bad pod has findings');
    for (let v = 2; v <= 6; v++) {
      const got = h.diagnostics(uri, (p) => p.version === v);
      await h.connection.sendNotification('textDocument/didChange', {
        textDocument: { uri, version: v },
        contentChanges: [{ range: { start: { line: 3, character: 11 }, end: { line: 3, character: 11 } }, text: 'a' }],
      });
      // Adding a letter to the pod name changes none of the findings.
      assert.deepEqual(codes(await got), first, `version ${v}`);
    }
  });

  it('applies podsmith.rules from workspace/configuration, and relints on didChangeConfiguration', async () => {
    const uri = 'file:///work/settings.yaml';
    const opened = h.diagnostics(uri);
    await h.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 1, text: BAD_POD } });
    assert.ok(codes(await opened).includes('schema-enum'));
    assert.ok(h.configurationRequests.length > 0, 'the server pulled its settings');

    h.settings.podsmith = { enable: true, rules: { 'schema-enum': 'off', 'api-version': 'warning' } };
    const relinted = h.diagnostics(uri, (p) => !codes(p).includes('schema-enum'));
    await h.connection.sendNotification('workspace/didChangeConfiguration', { settings: null });
    const p = await relinted;
    assert.equal(byCode(p, 'api-version').severity, 2);
    assert.ok(codes(p).includes('limit-grace-period'));

    h.settings.podsmith = { enable: false };
    const disabled = h.diagnostics(uri, (p) => p.diagnostics.length === 0);
    await h.connection.sendNotification('workspace/didChangeConfiguration', { settings: null });
    await disabled;

    h.settings.podsmith = {};
    const back = h.diagnostics(uri, (p) => codes(p).includes('schema-enum'));
    await h.connection.sendNotification('workspace/didChangeConfiguration', { settings: null });
    await back;
  });

  it('clears diagnostics when a document closes', async () => {
    const uri = 'file:///work/bad-pod.yaml';
    const cleared = h.diagnostics(uri, (p) => p.diagnostics.length === 0);
    await h.connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
    await cleared;
  });

  it('shuts down and exits cleanly', async () => {
    assert.equal(await shutdown(h), 0);
  });
});
