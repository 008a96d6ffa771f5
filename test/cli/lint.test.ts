import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { main } from '../../engine/cli/main';
import type { Io } from '../../engine/cli/io';

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: (s) => void (out += s), err: (s) => void (err += s) };
  const code = await main(args, io);
  return { code, out, err };
}

const BAD = `apiVersion: v1
kind: Pod
metadata:
  name: demo
spec:
  containers:
    - name: app
      image: busybox
      imagePullPolicy: Sometimes
`;
const GOOD = `apiVersion: v1
kind: Pod
metadata:
  name: demo
spec:
  containers:
    - name: app
      image: busybox
`;
const UNRELATED = `services:\n  web:\n    image: nginx\n`;

describe('podsmith lint', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'podsmith-lint-'));
    mkdirSync(join(dir, 'nested', 'deeper'), { recursive: true });
    writeFileSync(join(dir, 'good.yaml'), GOOD);
    writeFileSync(join(dir, 'nested', 'deeper', 'bad.yml'), BAD);
    writeFileSync(join(dir, 'nested', 'notes.txt'), BAD); // not a manifest extension: skipped in folders
    writeFileSync(join(dir, 'compose.yaml'), UNRELATED);
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'j' }, spec: { containers: [{ name: 'a', image: 'x', stdin: 'yes' }] } }, null, 2));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 0 and says so when there is no problem', async () => {
    const r = await run(['lint', join(dir, 'good.yaml'), join(dir, 'compose.yaml')]);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /No problems in 2 files/);
  });

  it('walks folders recursively, exits 1 on errors and prints file:line:col', async () => {
    const r = await run(['lint', dir]);
    assert.equal(r.code, 1);
    const badYml = join(dir, 'nested', 'deeper', 'bad.yml');
    assert.match(r.out, new RegExp(`${badYml.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:9:24: error \\[schema-enum\\]`));
    assert.match(r.out, /bad\.json:\d+:\d+: error \[schema-type\]/);
    assert.doesNotMatch(r.out, /notes\.txt/);
    assert.doesNotMatch(r.out, /compose\.yaml:/);
  });

  it('prints one JSON array of 1-based records', async () => {
    const r = await run(['lint', '--format', 'json', join(dir, 'nested')]);
    assert.equal(r.code, 1);
    const records = JSON.parse(r.out);
    assert.ok(Array.isArray(records));
    const enumRec = records.find((x: { rule: string }) => x.rule === 'schema-enum');
    assert.deepEqual(Object.keys(enumRec).sort(), ['column', 'endColumn', 'endLine', 'file', 'line', 'message', 'rule', 'severity']);
    assert.equal(enumRec.line, 9);
    assert.equal(enumRec.column, 24);
    assert.equal(enumRec.endColumn, 24 + 'Sometimes'.length);
    assert.equal(enumRec.severity, 'error');
  });

  it('writes SARIF 2.1.0 with rules and regions', async () => {
    const r = await run(['lint', '--format', 'sarif', join(dir, 'nested')]);
    const log = JSON.parse(r.out);
    assert.equal(log.version, '2.1.0');
    const run0 = log.runs[0];
    assert.equal(run0.tool.driver.name, 'podsmith');
    const res = run0.results.find((x: { ruleId: string }) => x.ruleId === 'schema-enum');
    assert.equal(res.level, 'error');
    assert.equal(res.locations[0].physicalLocation.region.startLine, 9);
    assert.equal(run0.tool.driver.rules[res.ruleIndex].id, 'schema-enum');
  });

  it('--rule overrides severity and off silences', async () => {
    const r = await run(['lint', '--format', 'json', '--rule', 'schema-enum=warning', join(dir, 'nested', 'deeper', 'bad.yml')]);
    const recs = JSON.parse(r.out);
    assert.equal(recs.find((x: { rule: string }) => x.rule === 'schema-enum').severity, 'warning');
    assert.equal(r.code, 0);
    const strict = await run(['lint', '--max-warnings', '0', '--rule', 'schema-enum=warning', join(dir, 'nested', 'deeper', 'bad.yml')]);
    assert.equal(strict.code, 1);
    const off = await run(['lint', '--format', 'json', '--rule', 'schema-enum=off', join(dir, 'nested', 'deeper', 'bad.yml')]);
    assert.deepEqual(JSON.parse(off.out).filter((x: { rule: string }) => x.rule === 'schema-enum'), []);
  });

  it('holds .json files to strict JSON, and YAML files to YAML', async () => {
    const text = JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'j' }, spec: { containers: [{ name: 'a', image: 'x', args: ['-g', 'daemon off;'] }] } }, null, 2)
      .replace('"daemon off;"', '"daemon off;",');
    mkdirSync(join(dir, 'strict'));
    writeFileSync(join(dir, 'strict', 'trailing.json'), text);
    writeFileSync(join(dir, 'strict', 'trailing.yaml'), text);
    const r = await run(['lint', '--format', 'json', join(dir, 'strict')]);
    assert.equal(r.code, 1);
    const recs = JSON.parse(r.out) as { file: string; rule: string; line: number; column: number }[];
    assert.equal(recs.length, 1, JSON.stringify(recs));
    assert.match(recs[0].file, /trailing\.json$/);
    assert.equal(recs[0].rule, 'json-syntax');
    const line = text.split('\n').findIndex((l) => l.includes('"daemon off;",'));
    assert.deepEqual([recs[0].line, recs[0].column], [line + 1, text.split('\n')[line].indexOf(',') + 1]);
  });

  it('exits 2 for usage and I/O errors', async () => {
    assert.equal((await run(['lint'])).code, 2);
    assert.equal((await run(['lint', '--format', 'xml', dir])).code, 2);
    assert.equal((await run(['lint', '--max-warnings', 'many', dir])).code, 2);
    const missing = await run(['lint', join(dir, 'does-not-exist.yaml')]);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /does-not-exist\.yaml: no such file/);
    assert.equal((await run(['frobnicate'])).code, 2);
  });

  it('reports an oversized file without reading it whole, and binary junk clearly', async () => {
    const big = join(dir, 'big', 'huge.yaml');
    mkdirSync(join(dir, 'big'));
    writeFileSync(big, 'apiVersion: v1\nkind: Pod\n' + '#'.repeat(1024 * 1024));
    writeFileSync(join(dir, 'big', 'junk.yaml'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0xff, 0xfe]));
    const r = await run(['lint', '--format', 'json', join(dir, 'big')]);
    assert.equal(r.code, 1);
    const recs = JSON.parse(r.out);
    assert.deepEqual(recs.map((x: { rule: string }) => x.rule).sort(), ['manifest-too-large', 'not-text']);
  });

  it('the bundled CLI keeps the same exit codes', async () => {
    const build = spawnSync(process.execPath, ['scripts/build.mjs'], { encoding: 'utf8' });
    assert.equal(build.status, 0, build.stderr);
    const ok = spawnSync(process.execPath, ['dist/podsmith.js', 'lint', join(dir, 'good.yaml')], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
    const bad = spawnSync(process.execPath, ['dist/podsmith.js', 'lint', join(dir, 'nested')], { encoding: 'utf8' });
    assert.equal(bad.status, 1);
    const usage = spawnSync(process.execPath, ['dist/podsmith.js', 'lint', '--nope'], { encoding: 'utf8' });
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /Usage: podsmith lint/);
  });
});
