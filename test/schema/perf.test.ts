// Cost of schema validation: cold (load the bundled module and validate once, as `podsmith lint` and the
// language server do) and warm (every keystroke in the editor).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { stringify } from 'yaml';
import { validateSchema } from '../../engine/manifest/schema/index';
import { RICH_POD, type Json } from './pods';

/**
 * Mean ms per call of the fastest of several batches, spread over time: other work on the machine (tests
 * run beside other suites) only ever adds time, so the minimum is the closest to the real cost.
 */
async function mean(fn: () => void, runs: number): Promise<number> {
  for (let i = 0; i < 300; i++) fn();
  let best = Infinity;
  for (let batch = 0; batch < 10; batch++) {
    await new Promise((r) => setTimeout(r, 5));
    const t0 = performance.now();
    for (let i = 0; i < runs; i++) fn();
    best = Math.min(best, (performance.now() - t0) / runs);
  }
  return best;
}

const lineCount = (v: unknown): number => stringify(v).split('\n').length;

/** The rich pod cut down to the size of a typical hand-written pod (~200 lines of YAML). */
function typicalPod(): Json {
  const pod = structuredClone(RICH_POD) as { spec: Record<string, unknown> & { volumes: unknown[]; containers: { env: unknown[] }[] } };
  pod.spec.volumes = pod.spec.volumes.slice(0, 6);
  pod.spec.containers[0].env = pod.spec.containers[0].env.slice(0, 3);
  for (const k of ['affinity', 'initContainers', 'topologySpreadConstraints', 'securityContext']) delete pod.spec[k];
  return pod;
}

/** The same pod with five mistakes of different kinds. */
function broken(pod: Json): Json {
  const copy = structuredClone(pod) as { spec: { containers: Json[]; restartPolicy: string } };
  copy.spec.restartPolicy = 'always';
  Object.assign(copy.spec.containers[0], { imagePullPolicyy: 'x', tty: 'yes', ports: [{ containerPort: '80' }], resources: { limits: { cpu: '1 core' } } });
  return copy;
}

test('warm validation of a 200-line pod is far below a millisecond', async (t) => {
  const typical = typicalPod();
  assert.ok(Math.abs(lineCount(typical) - 200) <= 30, `typical pod has ${lineCount(typical)} lines`);
  for (const [name, pod] of [['typical', typical], ['rich', RICH_POD]] as const) {
    const bad = broken(pod);
    assert.equal(validateSchema('Pod', bad).length, 5);
    const valid = await mean(() => validateSchema('Pod', pod), 200);
    const invalid = await mean(() => validateSchema('Pod', bad), 200);
    t.diagnostic(`${name} pod, ${lineCount(pod)} lines: ${(valid * 1000).toFixed(0)} µs when valid, ${(invalid * 1000).toFixed(0)} µs with 5 errors`);
    if (name === 'typical') {
      assert.ok(valid < 1, `valid pod took ${valid} ms`);
      assert.ok(invalid < 1, `invalid pod took ${invalid} ms`);
    }
  }
});

test('cold: loading the bundled schema module and validating once', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'podsmith-schema-'));
  try {
    const out = join(dir, 'schema.js');
    buildSync({ entryPoints: [join(__dirname, '..', '..', 'engine', 'manifest', 'schema', 'index.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: out, logLevel: 'silent' });
    const script =
      `const t0 = performance.now(); const m = require(${JSON.stringify(out)}); const t1 = performance.now();` +
      `m.validateSchema('Pod', ${JSON.stringify(RICH_POD)}); const t2 = performance.now();` +
      `m.describePath('Pod', ['spec', 'containers', 0, 'image']); const t3 = performance.now();` +
      'console.log(JSON.stringify({ load: t1 - t0, first: t2 - t1, describe: t3 - t2 }));';
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const m = JSON.parse(r.stdout) as { load: number; first: number; describe: number };
    t.diagnostic(`cold: require ${m.load.toFixed(1)} ms, first validation ${m.first.toFixed(1)} ms, first describePath ${m.describe.toFixed(2)} ms`);
    assert.ok(m.load + m.first < 150, `cold start took ${m.load + m.first} ms`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
