import { it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBundleConfig, validateRuntimeSpec, writeBundle } from '../../../engine/image/bundle';
import { input } from './fixtures';

it('writeBundle writes config.json (0600, no temp file left) that reads back valid', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'podsmith-write-'));
  try {
    const { config } = buildBundleConfig(input());
    const path = await writeBundle(join(dir, 'b'), config);
    assert.equal(path, join(dir, 'b', 'config.json'));
    assert.deepEqual(readdirSync(join(dir, 'b')), ['config.json']);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const back = JSON.parse(readFileSync(path, 'utf8'));
    assert.deepEqual(back, config);
    assert.deepEqual(validateRuntimeSpec(back), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
