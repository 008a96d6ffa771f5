import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { RULES } from '../../engine/manifest/rules/registry';

it('the README rules table lists every rule with its default severity', () => {
  const readme = readFileSync('README.md', 'utf8');
  const missing = RULES.filter((r) => !readme.includes(`| \`${r.id}\` | ${r.severity} |`)).map((r) => r.id);
  assert.deepEqual(missing, [], 'regenerate with: node dist/podsmith.js rules --format markdown');
});
