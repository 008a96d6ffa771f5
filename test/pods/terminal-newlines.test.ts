// The exec terminal's newline translation, byte by byte: bare \n becomes \r\n, \r\n stays, a pair split across
// chunks stays one newline.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TerminalNewlines } from '../../engine/pods/native/terminal-newlines';

async function through(chunks: string[]): Promise<string> {
  const t = new TerminalNewlines();
  const out: Buffer[] = [];
  t.on('data', (d: Buffer) => out.push(d));
  const done = new Promise((r) => t.on('end', r));
  for (const c of chunks) t.write(Buffer.from(c, 'latin1'));
  t.end();
  await done;
  return Buffer.concat(out).toString('latin1');
}

test('bare newlines become CRLF, existing CRLF is kept', async () => {
  assert.equal(await through(['a\nb\r\nc\n']), 'a\r\nb\r\nc\r\n');
  assert.equal(await through(['\n\n']), '\r\n\r\n');
  assert.equal(await through(['no newline']), 'no newline');
});

test('a CRLF split across chunks is not doubled; a lone CR then LF in the next chunk is one newline', async () => {
  assert.equal(await through(['line\r', '\nnext\n']), 'line\r\nnext\r\n');
  assert.equal(await through(['x', '\n', '\r', '\n']), 'x\r\n\r\n');
  assert.equal(await through(['', '\n']), '\r\n');
});

test('bytes other than newlines pass unchanged', async () => {
  const bytes = Buffer.from([0, 1, 0x0d, 0x1b, 0xff, 0x0a, 0x7f]);
  const t = new TerminalNewlines();
  const out: Buffer[] = [];
  t.on('data', (d: Buffer) => out.push(d));
  const done = new Promise((r) => t.on('end', r));
  t.end(bytes);
  await done;
  // Only the LF changes (it follows 0xff, not CR); a CR alone stays as it is.
  assert.deepEqual(Buffer.concat(out), Buffer.from([0, 1, 0x0d, 0x1b, 0xff, 0x0d, 0x0a, 0x7f]));
});
