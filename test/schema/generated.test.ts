// The committed schema and precompiled validator are exactly what the generator produces from the
// installed @kubernetes/client-node, so nobody hand-edits them and a client-node upgrade shows up here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

test('npm run gen:schema -- --check finds nothing stale', (t) => {
  const root = join(__dirname, '..', '..');
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'tools/gen-schema.ts', '--check'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  t.diagnostic(r.stdout.trim());
});
