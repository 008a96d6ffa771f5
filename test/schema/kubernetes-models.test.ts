// Independent source 2: the kubernetes-models 4.5.1 validators (ajv code generated from the OpenAPI v3 spec,
// with its enums). On a corpus of valid pods and systematic mutations of the rich one, whatever they
// reject as a wrong type or a value outside an enum, Podsmith must reject too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateSchema } from '../../engine/manifest/schema/index';
import { RICH_POD, VALID_PODS, type Json } from './pods';

interface ModelError {
  instancePath: string;
  keyword: string;
}

// kubernetes-models ships CommonJS with its own typings; only the Pod class is needed.
const { Pod } = require('kubernetes-models/v1/Pod') as { Pod: new (data: unknown) => { validate(): void } };

/** The ajv errors kubernetes-models raises for `pod` (empty when it accepts it). */
function modelErrors(pod: unknown): ModelError[] {
  try {
    new Pod(pod).validate();
    return [];
  } catch (e) {
    const errors = (e as { errors?: ModelError[] }).errors;
    if (!Array.isArray(errors)) throw e;
    return errors;
  }
}

type Path = (string | number)[];

/** Every path in a value (objects and arrays included), depth first. */
function paths(value: unknown, base: Path = []): Path[] {
  const out: Path[] = [];
  if (Array.isArray(value)) {
    value.forEach((v, i) => out.push([...base, i], ...paths(v, [...base, i])));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) out.push([...base, k], ...paths(v, [...base, k]));
  }
  return out;
}

function at(value: unknown, path: Path): unknown {
  return path.reduce<unknown>((v, seg) => (v as Record<string | number, unknown>)[seg], value);
}

function withValue(base: Json, path: Path, value: unknown): Json {
  const copy = structuredClone(base);
  const parent = at(copy, path.slice(0, -1)) as Record<string | number, unknown>;
  parent[path[path.length - 1]] = value;
  return copy;
}

interface Mutation {
  label: string;
  pod: Json;
}

/** (a) strings replaced by an unlikely string, (b) values replaced by each JSON type they are not. */
function mutations(base: Json): Mutation[] {
  const out: Mutation[] = [];
  for (const path of paths(base)) {
    const v = at(base, path);
    const where = path.join('.');
    if (typeof v === 'string') out.push({ label: `${where} = "NotAValidValue"`, pod: withValue(base, path, 'NotAValidValue') });
    const wrong: [string, unknown][] = [];
    if (typeof v === 'string') wrong.push(['number', 12345]);
    if (typeof v === 'number') wrong.push(['string', String(v)], ['string', 'NotANumber']);
    if (typeof v !== 'boolean') wrong.push(['boolean', true]);
    if (v === null || typeof v !== 'object' || Array.isArray(v)) wrong.push(['object', { unexpected: 1 }]);
    if (!Array.isArray(v)) wrong.push(['array', ['unexpected']]);
    for (const [kind, value] of wrong) out.push({ label: `${where} = ${kind} ${JSON.stringify(value)}`, pod: withValue(base, path, value) });
  }
  return out;
}

test('valid pods pass both validators', () => {
  for (const [name, pod] of Object.entries(VALID_PODS)) {
    assert.deepEqual(modelErrors(pod), [], `kubernetes-models rejects ${name}`);
    assert.deepEqual(validateSchema('Pod', pod), [], `Podsmith rejects ${name}`);
  }
});

test('whatever kubernetes-models rejects as a type or enum error, Podsmith rejects', (t) => {
  const corpus = mutations(RICH_POD);
  let modelRejects = 0;
  let typeOrEnum = 0;
  let podsmithRejects = 0;
  let podsmithOnly = 0;
  const misses: string[] = [];
  const podsmithOnlyLabels: string[] = [];
  for (const m of corpus) {
    const theirs = modelErrors(m.pod);
    const ours = validateSchema('Pod', m.pod);
    if (theirs.length) modelRejects++;
    if (ours.length) podsmithRejects++;
    const decisive = theirs.filter((e) => e.keyword === 'type' || e.keyword === 'enum');
    if (decisive.length) {
      typeOrEnum++;
      if (ours.length === 0) misses.push(`${m.label}: kubernetes-models ${decisive.map((e) => `${e.keyword} at ${e.instancePath}`).join(', ')}`);
    }
    if (theirs.length === 0 && ours.length) {
      podsmithOnly++;
      podsmithOnlyLabels.push(`${m.label} -> ${ours[0].rule}`);
    }
  }
  t.diagnostic(
    `corpus: ${Object.keys(VALID_PODS).length} valid pods + ${corpus.length} mutations of the rich pod; ` +
      `kubernetes-models rejects ${modelRejects} (${typeOrEnum} with type/enum errors), Podsmith rejects ${podsmithRejects}; ` +
      `${misses.length} misses; ${podsmithOnly} rejected by Podsmith only`,
  );
  // What only Podsmith rejects: enums and quantities kubernetes-models does not check, release-1.36 enums.
  for (const label of podsmithOnlyLabels.slice(0, 12)) t.diagnostic(`  podsmith only: ${label}`);
  assert.deepEqual(misses, [], `Podsmith accepts what kubernetes-models rejects:\n${misses.join('\n')}`);
  assert.ok(corpus.length > 1000, `corpus too small: ${corpus.length}`);
  assert.ok(typeOrEnum > 500, `too few type/enum rejections to prove anything: ${typeOrEnum}`);
});
