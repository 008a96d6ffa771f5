import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RULES } from '../../engine/manifest/rules/registry';

const ROOT = join(__dirname, '..', '..', 'engine');

/** Rule ids written in the sources of the limits, rules and suppression modules. */
function idsInSources(): Set<string> {
  const files = [
    ...readdirSync(join(ROOT, 'limits')).map((f) => join(ROOT, 'limits', f)),
    ...readdirSync(join(ROOT, 'manifest', 'rules')).filter((f) => f !== 'registry.ts').map((f) => join(ROOT, 'manifest', 'rules', f)),
    join(ROOT, 'manifest', 'suppress.ts'),
  ];
  const ids = new Set<string>();
  for (const f of files) {
    for (const m of readFileSync(f, 'utf8').matchAll(/\b(?:rule|RULE)\s*[:=]\s*'([a-z0-9-]+)'/g)) ids.add(m[1]);
  }
  return ids;
}

describe('rule registry', () => {
  it('lists every rule the checks report, once, with a summary', () => {
    const ids = RULES.map((r) => r.id);
    assert.equal(new Set(ids).size, ids.length, 'duplicate ids');
    const used = idsInSources();
    assert.ok(used.size >= 30, `found only ${used.size} ids`);
    for (const id of used) assert.ok(ids.includes(id), `${id} is not in the registry`);
    for (const r of RULES) assert.ok(r.summary.length > 10 && r.summary.length < 200, r.id);
  });
});
