// (g) schema validation alone, Podsmith's precompiled ajv validator (engine/manifest/schema) against the
// kubernetes-models 4.5.1 Pod validator (ajv code generated from the same OpenAPI spec), side by side:
//   warm: one already-parsed pod object validated again and again (what every keystroke costs), a typical
//         200-line pod and the rich one, each valid and with five mistakes;
//   cold: a fresh Node process that loads the validator and validates once (what `podsmith lint` and the
//         language server pay at start-up); Podsmith's schema module is bundled with esbuild, as dist/ ships it.
// Both validate the same objects; a sanity check first makes sure each rejects the broken pods and accepts the
// valid ones, so a validator that checks nothing cannot win.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildSync } from 'esbuild';
import { stringify } from 'yaml';
import { validateSchema } from '../engine/manifest/schema/index';
import { RICH_POD, type Json } from '../test/schema/pods';
import { ratios, summarize, type Stats } from './stats';

const ROOT = resolve(__dirname, '..');
const PLAN = { warmupCalls: 300, batches: 30, callsPerBatch: 200, coldRuns: 10 };

// kubernetes-models ships CommonJS with its own typings; only the Pod class is needed.
const { Pod } = require('kubernetes-models/v1/Pod') as { Pod: new (data: unknown) => { validate(): void } };

export const lineCount = (v: unknown): number => stringify(v).split('\n').length;

/** The rich pod cut down to the size of a typical hand-written pod (~200 lines of YAML). */
export function typicalPod(): Json {
  const pod = structuredClone(RICH_POD) as { spec: Record<string, unknown> & { volumes: unknown[]; containers: { env: unknown[] }[] } };
  pod.spec.volumes = pod.spec.volumes.slice(0, 6);
  pod.spec.containers[0].env = pod.spec.containers[0].env.slice(0, 3);
  for (const k of ['affinity', 'initContainers', 'topologySpreadConstraints', 'securityContext']) delete pod.spec[k];
  return pod;
}

/** The same pod with five mistakes of different kinds (an unknown field, an enum, three wrong types). */
export function brokenPod(pod: Json): Json {
  const copy = structuredClone(pod) as { spec: { containers: Json[]; restartPolicy: string } };
  copy.spec.restartPolicy = 'always';
  Object.assign(copy.spec.containers[0], { imagePullPolicyy: 'x', tty: 'yes', ports: [{ containerPort: '80' }], resources: { limits: { cpu: '1 core' } } });
  return copy;
}

export interface SchemaValidator {
  name: string;
  /** Number of problems found (0: valid). */
  validate(pod: Json): number;
}

export const podsmithSchema: SchemaValidator = { name: 'Podsmith', validate: (pod) => validateSchema('Pod', pod).length };

export const kubernetesModelsSchema: SchemaValidator = {
  name: 'kubernetes-models',
  validate(pod) {
    try {
      new Pod(pod).validate();
      return 0;
    } catch (e) {
      const errors = (e as { errors?: unknown[] }).errors;
      if (!Array.isArray(errors)) throw e;
      return Math.max(1, errors.length);
    }
  },
};

/** Each validator must accept `valid` and reject `broken`; otherwise timing them means nothing. */
export function sanityProblems(v: SchemaValidator, valid: Json, broken: Json): string[] {
  const out: string[] = [];
  if (v.validate(valid) !== 0) out.push(`${v.name} rejects the valid pod`);
  if (v.validate(broken) === 0) out.push(`${v.name} accepts the broken pod`);
  return out;
}

/**
 * Mean ms per call, one sample per batch of calls, the two validators alternating batch by batch (the order
 * flipping every batch) so both share the machine's noise.
 */
function warm(validators: SchemaValidator[], pod: Json): Stats[] {
  for (const v of validators) for (let i = 0; i < PLAN.warmupCalls; i++) v.validate(pod);
  const samples = validators.map(() => [] as number[]);
  for (let b = 0; b < PLAN.batches; b++) {
    const order = b % 2 === 0 ? [0, 1] : [1, 0];
    for (const k of order) {
      const t0 = performance.now();
      for (let i = 0; i < PLAN.callsPerBatch; i++) validators[k].validate(pod);
      samples[k].push((performance.now() - t0) / PLAN.callsPerBatch);
    }
  }
  return samples.map(summarize);
}

/** A fresh Node process: load (require) the validator, validate once; ms of each, measured inside it. */
function coldOnce(script: string): { load: number; first: number } {
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', cwd: ROOT });
  if (r.status !== 0) throw new Error(`cold run failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as { load: number; first: number };
}

function coldScript(load: string, validate: string, pod: Json): string {
  return (
    `const pod = ${JSON.stringify(pod)}; const t0 = performance.now(); const m = ${load}; const t1 = performance.now();` +
    `${validate}; const t2 = performance.now(); console.log(JSON.stringify({ load: t1 - t0, first: t2 - t1 }));`
  );
}

const fmt = (ms: number) => (ms < 0.1 ? `${(ms * 1000).toFixed(1)} µs` : ms < 10 ? `${ms.toFixed(2)} ms` : `${ms.toFixed(1)} ms`);
const times = (r: number) => `${r < 10 ? r.toFixed(1) : r.toFixed(0)}×`;

export async function runSchemaBench(): Promise<{ text: string; json: object }> {
  const validators = [podsmithSchema, kubernetesModelsSchema];
  const typical = typicalPod();
  const pods: [string, Json][] = [
    [`typical pod (${lineCount(typical)} lines)`, typical],
    [`rich pod (${lineCount(RICH_POD)} lines)`, RICH_POD],
  ];
  const problems = pods.flatMap(([, pod]) => validators.flatMap((v) => sanityProblems(v, pod, brokenPod(pod))));
  if (problems.length) throw new Error(`schema bench sanity check failed; the comparison is invalid:\n  ${problems.join('\n  ')}`);

  const rows: { case: string; podsmith: Stats; kubernetesModels: Stats; ratioP50: number }[] = [];
  for (const [label, pod] of pods) {
    for (const [variant, input] of [['valid', pod], ['5 mistakes', brokenPod(pod)]] as const) {
      process.stderr.write(`(g) warm validation: ${label}, ${variant} ...\n`);
      const [p, k] = warm(validators, input);
      rows.push({ case: `${label}, ${variant}`, podsmith: p, kubernetesModels: k, ratioP50: ratios(k, p).p50 });
    }
  }

  process.stderr.write(`(g) cold start: ${PLAN.coldRuns} fresh processes each ...\n`);
  const dir = mkdtempSync(join(tmpdir(), 'podsmith-bench-schema-'));
  const cold = { podsmith: [] as { load: number; first: number }[], kubernetesModels: [] as { load: number; first: number }[] };
  try {
    const bundle = join(dir, 'schema.js');
    buildSync({ entryPoints: [join(ROOT, 'engine', 'manifest', 'schema', 'index.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: bundle, logLevel: 'silent' });
    const ours = coldScript(`require(${JSON.stringify(bundle)})`, `m.validateSchema('Pod', pod)`, RICH_POD);
    const theirs = coldScript(`require('kubernetes-models/v1/Pod')`, `new m.Pod(pod).validate()`, RICH_POD);
    for (let i = 0; i < PLAN.coldRuns; i++) {
      for (const which of i % 2 === 0 ? (['podsmith', 'kubernetesModels'] as const) : (['kubernetesModels', 'podsmith'] as const)) {
        cold[which].push(coldOnce(which === 'podsmith' ? ours : theirs));
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const coldStats = {
    podsmith: summarize(cold.podsmith.map((c) => c.load + c.first)),
    kubernetesModels: summarize(cold.kubernetesModels.map((c) => c.load + c.first)),
  };

  const w = 40;
  const lines = [
    '',
    'Schema validation: Podsmith (precompiled ajv) vs kubernetes-models 4.5.1 (Pod.validate), same objects',
    `  warm: mean per call over ${PLAN.callsPerBatch} calls, ${PLAN.batches} batches each, alternating; p50 / p95 of the batches`,
    `  ${'case'.padEnd(w)}${'Podsmith'.padStart(22)}${'kubernetes-models'.padStart(22)}${'ratio (p50)'.padStart(13)}`,
    ...rows.map(
      (r) =>
        `  ${r.case.padEnd(w)}${`${fmt(r.podsmith.p50)} / ${fmt(r.podsmith.p95)}`.padStart(22)}${`${fmt(r.kubernetesModels.p50)} / ${fmt(r.kubernetesModels.p95)}`.padStart(22)}${times(r.ratioP50).padStart(13)}`,
    ),
    `  cold: load + first validation of the rich pod in a fresh Node process, p50 of ${PLAN.coldRuns}`,
    `  ${'cold start'.padEnd(w)}${fmt(coldStats.podsmith.p50).padStart(22)}${fmt(coldStats.kubernetesModels.p50).padStart(22)}${times(coldStats.kubernetesModels.p50 / coldStats.podsmith.p50).padStart(13)}`,
    '  ratio: kubernetes-models ÷ Podsmith (above 1: Podsmith is faster). Aim (reported, never enforced): the',
    `  typical valid pod under 1 ms warm: ${rows[0].podsmith.p50 < 1 ? 'met' : 'NOT met'} (${fmt(rows[0].podsmith.p50)}).`,
  ];
  return { text: lines.join('\n'), json: { plan: PLAN, warm: rows, cold: { ...coldStats, samples: cold } } };
}
