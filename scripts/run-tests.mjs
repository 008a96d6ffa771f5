// Runs every unit/integration test under test/ with node's test runner (TypeScript through tsx).
// `npm test -- test/schema` runs one folder; the extension-host suite runs from scripts/test.sh.
//
// Output is node's own (TAP when stdout is not a terminal, spec when it is), then the skipped tests with their
// reasons and a count. A skip for a missing tool goes unnoticed in a long run, so where setup has installed
// everything (scripts/test.sh sets PODSMITH_SETUP_DONE=1 after scripts/setup.sh succeeded) any skip fails the run.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

function collect(p, out) {
  if (statSync(p).isDirectory()) {
    for (const name of readdirSync(p).sort()) {
      if (name === 'node_modules' || name.startsWith('.') || name === 'vscode') continue;
      collect(join(p, name), out);
    }
  } else if (/\.test\.ts$/.test(p)) out.push(p);
  return out;
}

const roots = process.argv.slice(2);
const files = (roots.length ? roots : ['test']).flatMap((r) => collect(r, []));
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const strict = process.env.PODSMITH_SETUP_DONE === '1';

const work = mkdtempSync(join(tmpdir(), 'podsmith-test-run-'));
const outcomesFile = join(work, 'outcomes.jsonl');
const reporter = new URL('./test-outcomes-reporter.mjs', import.meta.url).href;
const readable = process.stdout.isTTY ? 'spec' : 'tap';
const r = spawnSync(
  process.execPath,
  [
    '--import', 'tsx',
    '--test', '--test-concurrency=1',
    `--test-reporter=${readable}`, '--test-reporter-destination=stdout',
    `--test-reporter=${reporter}`, `--test-reporter-destination=${outcomesFile}`,
    ...files,
  ],
  { stdio: 'inherit' },
);

let lines = [];
try {
  lines = readFileSync(outcomesFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
} catch {
  // the runner died before its reporters finished: its own exit status says so below
}
rmSync(work, { recursive: true, force: true });

const skipped = lines.filter((l) => l.skipped !== undefined);
const totals = lines.find((l) => l.totals)?.totals;
const cwd = process.cwd();
console.log('');
if (skipped.length) {
  console.log(`Skipped tests (${skipped.length}):`);
  for (const s of skipped) console.log(`  ${s.file ? relative(cwd, s.file) : '?'}: ${s.skipped}${s.reason ? ` (${s.reason})` : ''}`);
}
if (totals) console.log(`tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped, ${totals.todo} todo`);

let status = r.status ?? 1;
if (strict && skipped.length) {
  console.log(`FAIL: ${skipped.length} test(s) skipped although setup ran (PODSMITH_SETUP_DONE=1): a skip here means a missing tool or a broken host; see the reasons above.`);
  status = status || 1;
}
process.exit(status);
