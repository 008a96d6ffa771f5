import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ensureServerBundle, initialize, launch, type Harness } from './lsp-harness';

describe('language server lifecycle', () => {
  const started: Harness[] = [];

  before(async () => {
    await ensureServerBundle();
  });

  after(async () => {
    for (const h of started) await h.dispose();
  });

  it('announces its capabilities', async () => {
    const h = launch('stdio');
    started.push(h);
    const result = (await initialize(h)) as { capabilities: Record<string, unknown>; serverInfo: { name: string } };
    assert.equal(result.serverInfo.name, 'podsmith');
    assert.deepEqual(result.capabilities.textDocumentSync, { openClose: true, change: 2 });
    assert.ok(result.capabilities.hoverProvider);
    assert.ok(result.capabilities.completionProvider);
    assert.ok(result.capabilities.codeActionProvider);
    assert.ok(result.capabilities.documentSymbolProvider);
  });

  it('exits when the client goes away without a shutdown', async () => {
    const h = launch('stdio');
    started.push(h);
    await initialize(h);
    h.child.stdin!.end();
    // Exit without shutdown is the protocol's "something went wrong": code 1, but it must exit.
    assert.equal(typeof (await h.exited), 'number');
  });

  it('exits on `exit` even without `shutdown`', async () => {
    const h = launch('stdio');
    started.push(h);
    await initialize(h);
    await h.connection.sendNotification('exit');
    assert.equal(await h.exited, 1);
  });
});
