// Smoke test of the benchmark's machinery: fixtures, statistics, the yaml-language-server configuration and the
// LSP client. Performance is never asserted here; only that the bench measures what it claims to.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MIB, multiDocYaml, podYaml, toggleSite, TOGGLE_VALUE } from '../../bench/fixtures';
import { podsmithValidator, yamlLanguageServerValidator } from '../../bench/inprocess';
import { LspSession, measureKeystrokes } from '../../bench/lsp';
import { percentile, ratios, summarize } from '../../bench/stats';
import { brokenPod, kubernetesModelsSchema, lineCount, podsmithSchema, sanityProblems, typicalPod } from '../../bench/schema';
import { exportSchema, validateSchema } from '../../engine/manifest/schema/index';
import { RICH_POD } from '../schema/pods';

const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle));

describe('bench fixtures', () => {
  it('are deterministic and the sizes the scenarios promise', () => {
    assert.equal(podYaml(), podYaml());
    const lines = podYaml().split('\n').length - 1;
    assert.ok(lines >= 190 && lines <= 220, `pod has ${lines} lines`);
    const multi = multiDocYaml();
    assert.equal(multi.text, multiDocYaml().text);
    const bytes = Buffer.byteLength(multi.text);
    assert.ok(bytes < MIB && bytes > MIB - 16 * 1024, `multi-document file is ${bytes} bytes`);
    assert.equal(multi.text.split(/^---$/m).length, multi.documents);
  });

  it('point the keystroke edit at the first container imagePullPolicy value', () => {
    const text = podYaml();
    const site = toggleSite(text);
    const line = text.split('\n')[site.line];
    assert.equal(line.slice(0, site.character).trim(), `imagePullPolicy: ${TOGGLE_VALUE}`);
    assert.equal(site.character, line.length);
  });
});

describe('bench stats', () => {
  it('interpolates percentiles and divides ratios the right way round', () => {
    const xs = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    assert.equal(percentile(xs, 50), 5.5);
    assert.ok(Math.abs(percentile(xs, 95) - 9.55) < 1e-9);
    const s = summarize([3, 1, 2]);
    assert.deepEqual([s.n, s.p50, s.mean, s.min, s.max], [3, 2, 2, 1, 3]);
    assert.equal(ratios(summarize([10]), summarize([2])).p50, 5);
  });
});

describe('bench validators', () => {
  const broken = podYaml({ broken: true });
  const flagged = (diags: { line: number }[], needle: string) => diags.some((d) => d.line === lineOf(broken, needle));

  it('Podsmith flags the unknown field and the invalid enum of the broken pod', () => {
    const diags = podsmithValidator.validate(broken) as { line: number }[];
    assert.ok(flagged(diags, 'restartPolicyy:'));
    assert.ok(flagged(diags, 'imagePullPolicy: Sometimes'));
  });

  it('yaml-language-server, given the exported schema, flags the same two problems and passes the clean pod', async () => {
    const yls = yamlLanguageServerValidator(exportSchema());
    const diags = await yls.validate(broken);
    assert.ok(flagged(diags, 'restartPolicyy:'), JSON.stringify(diags));
    assert.ok(flagged(diags, 'imagePullPolicy: Sometimes'), JSON.stringify(diags));
    assert.deepEqual(await yls.validate(podYaml()), []);
  });
});

describe('bench LSP client', () => {
  it('times keystrokes against a real yaml-language-server and shuts it down', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'podsmith-bench-test-'));
    const schemaPath = join(dir, 'pod.schema.json');
    writeFileSync(schemaPath, JSON.stringify(exportSchema()));
    const bin = join(__dirname, '..', '..', 'node_modules', 'yaml-language-server', 'bin', 'yaml-language-server');
    const session = await LspSession.start(
      {
        name: 'yaml-language-server',
        command: process.execPath,
        args: [bin, '--stdio'],
        configuration: (item) =>
          item.section === 'yaml'
            ? { validate: true, schemas: { [pathToFileURL(schemaPath).href]: '*.yaml' }, schemaStore: { enable: false } }
            : null,
      },
      pathToFileURL(dir).href,
    );
    try {
      const text = podYaml();
      const uri = pathToFileURL(join(dir, 'pod.yaml')).href;
      // Each edit only completes when the enum error appears on (or leaves) the edited line.
      const r = await measureKeystrokes([{ session, uri }], text, toggleSite(text), { warmup: 0, edits: 2, pauseMs: 0 });
      assert.equal(r.samples[0].length, 2);
      assert.ok(r.samples[0].every((ms) => ms > 0));
    } finally {
      await session.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('bench schema validators', () => {
  it('the typical pod is about 200 lines, and both validators accept it and reject its five mistakes', () => {
    const typical = typicalPod();
    assert.ok(Math.abs(lineCount(typical) - 200) <= 30, `typical pod has ${lineCount(typical)} lines`);
    for (const pod of [typical, RICH_POD]) {
      assert.equal(validateSchema('Pod', brokenPod(pod)).length, 5, 'Podsmith finds each of the five mistakes');
      for (const v of [podsmithSchema, kubernetesModelsSchema]) assert.deepEqual(sanityProblems(v, pod, brokenPod(pod)), []);
    }
  });
});
