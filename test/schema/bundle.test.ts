// The schema module bundled on its own (as esbuild puts it into dist/): it needs nothing at start-up but itself,
// in a fresh Node process. How long that takes is measured by `npm run bench -- --only schema`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { brokenPod } from '../../bench/schema';
import { RICH_POD } from './pods';

test('the bundled schema module validates and describes in a fresh process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'podsmith-schema-'));
  try {
    const out = join(dir, 'schema.js');
    buildSync({ entryPoints: [join(__dirname, '..', '..', 'engine', 'manifest', 'schema', 'index.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: out, logLevel: 'silent' });
    const script =
      `const m = require(${JSON.stringify(out)});` +
      `console.log(JSON.stringify({ valid: m.validateSchema('Pod', ${JSON.stringify(RICH_POD)}).length,` +
      ` broken: m.validateSchema('Pod', ${JSON.stringify(brokenPod(RICH_POD))}).length,` +
      ` described: m.describePath('Pod', ['spec', 'containers', 0, 'image']) !== undefined }));`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { valid: 0, broken: 5, described: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
