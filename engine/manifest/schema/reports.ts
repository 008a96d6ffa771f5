// Turns the validator's raw errors into Podsmith reports: one clear message per problem, with the rule id,
// the path relative to the validated value, and a fix when one is obvious.
import type { FixSpec, Report } from '../report';
import type { Path } from '../types';
import type { ValidationError } from './k8s-core.validate';
import { BASE64_PATTERN, DATE_TIME_PATTERN, INT32_MAX, INT32_MIN, QUANTITY_PATTERN } from './formats';
import { displayType, resolve, stepAt, type SchemaNode, type SchemaRoot, type Step } from './model';
import { placeholder } from './placeholders';
import { closest } from './suggest';

/** Paths (as JSON) of object keys whose value was null and was dropped before validation. */
export type NullKeys = Set<string>;

export function pathKey(path: Path): string {
  return JSON.stringify(path);
}

/** A JSON pointer from the validator as a Path, with array indexes as numbers (told apart by the value). */
function toPath(pointer: string, value: unknown): Path {
  if (pointer === '') return [];
  const path: Path = [];
  let cur: unknown = value;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      const i = Number(seg);
      path.push(i);
      cur = cur[i];
    } else {
      path.push(seg);
      cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[seg] : undefined;
    }
  }
  return path;
}

function valueAt(value: unknown, path: Path): unknown {
  let cur = value;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

function quote(s: string): string {
  return JSON.stringify(s.length > 40 ? `${s.slice(0, 37)}...` : s);
}

/** What the user wrote, for "got …"; a value that may be secret is described by its type alone. */
function describeValue(v: unknown, secret: boolean): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (secret) {
    if (typeof v === 'number') return Number.isInteger(v) ? 'an integer' : 'a number';
    return `a ${typeof v}`;
  }
  if (typeof v === 'string') return `string ${quote(v)}`;
  if (typeof v === 'number') return Number.isInteger(v) ? `integer ${v}` : `number ${v}`;
  return `${typeof v} ${String(v)}`;
}

/** Env var names that usually hold credentials: their values are never quoted either. */
const SECRET_NAME = /pass|secret|token|key|cred|auth|private|cert|salt|session|cookie|signature|dsn/i;

/**
 * Whether the value at `path` may be secret. Messages end up in the daemon log, the event history, CI
 * output and screenshots, so nothing from a Secret document is ever quoted in one, nor an env value whose
 * name suggests a credential. They say what is wrong and where, by field name and line.
 */
function sensitive(ctx: Context, path: Path): boolean {
  if (ctx.root === 'Secret') return true;
  const n = path.length;
  if (n >= 3 && path[n - 1] === 'value' && typeof path[n - 2] === 'number' && path[n - 3] === 'env') {
    const name = valueAt(ctx.value, [...path.slice(0, -1), 'name']);
    return typeof name !== 'string' || SECRET_NAME.test(name);
  }
  return false;
}

/** What the schema wants, for "expected …". */
function describeExpected(node: SchemaNode): string {
  const t = displayType(node);
  if (node.$ref) return `a ${t} mapping`;
  switch (t) {
    case 'quantity':
      return 'a quantity (e.g. 500m, 1Gi, 2)';
    case 'int-or-string':
      return 'an integer or a string';
    case 'base64':
      return 'a base64 string';
    case 'date-time':
      return 'a date-time string';
    case 'object':
      return 'a mapping';
  }
  if (t.startsWith('array of ')) {
    const item = t.slice('array of '.length);
    return /^[a-z]/.test(item) ? `a list of ${item}s` : `a list of ${item} items`;
  }
  if (t.startsWith('map of ')) return `a mapping of ${t.slice('map of '.length)} values`;
  return /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`;
}

function listValues(values: readonly string[]): string {
  const shown = values.slice(0, 10).map((v) => (v === '' ? '""' : v));
  return values.length > 10 ? `${shown.join(', ')}, … (${values.length} values)` : shown.join(', ');
}

interface Context {
  root: SchemaRoot;
  value: unknown;
  nulls: NullKeys;
}

function labelOf(step: Step | undefined, path: Path, root: SchemaRoot): string {
  if (step) return step.label;
  return path.length ? String(path[path.length - 1]) : root;
}

// ---- one function per keyword --------------------------------------------------------------------------

function typeReport(ctx: Context, path: Path): Report {
  const step = stepAt(ctx.root, path);
  const v = valueAt(ctx.value, path);
  const label = labelOf(step, path, ctx.root);
  const expected = step ? describeExpected(step.node) : 'another type';
  const fixes: FixSpec[] = [];
  let hint = '';
  const want = step ? displayType(step.node) : '';
  const secret = sensitive(ctx, path);
  if (typeof v === 'string' && (want === 'integer' || want === 'number') && /^[+-]?\d+(\.\d+)?$/.test(v.trim())) {
    const n = Number(v.trim());
    const fits = want === 'number' || (Number.isInteger(n) && (step?.node.format !== 'int32' || (n >= INT32_MIN && n <= INT32_MAX)));
    if (fits) {
      fixes.push({ kind: 'set-value', title: secret ? 'Write it as a number' : `Write ${n} as a number`, value: n, preferred: true });
      hint = ' Remove the quotes.';
    }
  } else if (typeof v === 'string' && want === 'boolean' && /^(true|false)$/i.test(v.trim())) {
    const b = v.trim().toLowerCase() === 'true';
    fixes.push({ kind: 'set-value', title: secret ? 'Write it as a boolean' : `Write ${b} as a boolean`, value: b, preferred: true });
    hint = ' Remove the quotes.';
  } else if ((typeof v === 'number' || typeof v === 'boolean') && want === 'string') {
    const s = String(v);
    const allowed = step ? resolve(step.node).enum : undefined;
    if (!allowed || allowed.includes(s)) {
      fixes.push({ kind: 'set-value', title: secret ? 'Quote the value' : `Quote the value: "${s}"`, value: s, preferred: true });
      hint = ' Quote it.';
    }
  }
  return {
    rule: 'schema-type',
    path,
    message: `${label}: expected ${expected}, got ${describeValue(v, secret)}.${hint}`,
    ...(fixes.length ? { fixes } : {}),
  };
}

function enumReport(ctx: Context, path: Path, allowed: readonly string[]): Report {
  const step = stepAt(ctx.root, path);
  const label = labelOf(step, path, ctx.root);
  const v = valueAt(ctx.value, path);
  const text = typeof v === 'string' ? v : String(v);
  const guess = closest(text, allowed);
  const fixes: FixSpec[] = [];
  if (guess !== undefined) fixes.push({ kind: 'set-value', title: `Change to ${guess === '' ? '""' : guess}`, value: guess, preferred: true });
  else if (allowed.length <= 6) {
    for (const a of allowed) fixes.push({ kind: 'set-value', title: `Change to ${a === '' ? '""' : a}`, value: a });
  }
  const didYouMean = guess !== undefined ? ` Did you mean ${quote(guess)}?` : '';
  const written = sensitive(ctx, path) ? 'the value' : quote(text);
  return {
    rule: 'schema-enum',
    path,
    message: `${label}: ${written} is not allowed; use one of ${listValues(allowed)}.${didYouMean}`,
    ...(fixes.length ? { fixes } : {}),
  };
}

function requiredReport(ctx: Context, path: Path, field: string): Report {
  const step = stepAt(ctx.root, path);
  const def = step?.definition ?? labelOf(step, path, ctx.root);
  const node = step ? resolve(step.node).properties?.[field] : undefined;
  if (ctx.nulls.has(pathKey([...path, field]))) {
    // The key is there with no value: pointing at it is clearer than "missing", and inserting would duplicate it.
    return {
      rule: 'schema-required',
      path: [...path, field],
      target: 'key',
      message: `${field} is required in ${def} but has no value; give it one.`,
    };
  }
  const value = placeholder(def, field, node);
  const shown = typeof value === 'string' ? (value === '' ? '""' : value) : JSON.stringify(value);
  return {
    rule: 'schema-required',
    path,
    target: 'key',
    message: `${def} is missing the required field ${quote(field)}; add it.`,
    fixes: [{ kind: 'insert-field', title: `Add ${field}: ${shown}`, key: field, value, preferred: true }],
  };
}

function unknownFieldReport(ctx: Context, path: Path, field: string): Report {
  const step = stepAt(ctx.root, path);
  const def = step?.definition ?? labelOf(step, path, ctx.root);
  const known = Object.keys((step && resolve(step.node).properties) ?? {});
  const obj = valueAt(ctx.value, path);
  const present = new Set(obj !== null && typeof obj === 'object' ? Object.keys(obj) : []);
  // Renaming onto a key the mapping already has would only trade this error for a duplicate key.
  const guess = closest(
    field,
    known.filter((k) => !present.has(k)),
  );
  return {
    rule: 'schema-unknown-field',
    path: [...path, field],
    target: 'key',
    message:
      guess !== undefined
        ? `Unknown field ${quote(field)} in ${def}. Did you mean ${quote(guess)}?`
        : `Unknown field ${quote(field)} in ${def}; Kubernetes rejects it. Remove it or check its place.`,
    ...(guess !== undefined ? { fixes: [{ kind: 'rename-key' as const, title: `Rename to ${guess}`, to: guess, preferred: true }] } : {}),
  };
}

/** "1Gb", "512 MB", "2gi": the binary unit people usually mean. */
function quantityRepair(v: string): string | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kKmMgGtTpPeE])[iI]?[bB]?\s*$/.exec(v);
  if (!m || v.trim() === m[1] + m[2]) return undefined;
  const unit = m[2].toUpperCase();
  return `${m[1]}${unit}i`;
}

function formatReport(ctx: Context, path: Path, keyword: string, pattern: string | undefined): Report {
  const step = stepAt(ctx.root, path);
  const label = labelOf(step, path, ctx.root);
  const v = valueAt(ctx.value, path);
  const base = { rule: 'schema-format', path };
  const secret = sensitive(ctx, path);
  if (keyword === 'minimum' || keyword === 'maximum') {
    const shown = secret ? 'the value' : String(v);
    return { ...base, message: `${label}: ${shown} is out of range for a 32-bit integer (${INT32_MIN} to ${INT32_MAX}).` };
  }
  const text = typeof v === 'string' ? v : String(v);
  const written = secret ? 'the value' : quote(text);
  if (pattern === QUANTITY_PATTERN) {
    const repair = quantityRepair(text);
    return {
      ...base,
      message: `${label}: ${written} is not a valid quantity; write a number with an optional suffix, e.g. 500m, 128Mi, 1Gi or 2.`,
      ...(repair ? { fixes: [{ kind: 'set-value' as const, title: secret ? 'Fix the unit' : `Change to ${repair}`, value: repair, preferred: true }] } : {}),
    };
  }
  if (pattern === DATE_TIME_PATTERN) {
    return { ...base, message: `${label}: ${written} is not an RFC 3339 date-time such as 2024-01-31T12:00:00Z.` };
  }
  if (pattern === BASE64_PATTERN) {
    const plain = ctx.root === 'Secret' ? 'stringData' : 'data';
    return { ...base, message: `${label}: the value is not valid base64; encode it, or put plain text under ${plain}.` };
  }
  return { ...base, message: `${label}: ${written} is not in the expected format.` };
}

// ---- all errors ------------------------------------------------------------------------------------------

export function toReports(root: SchemaRoot, value: unknown, errors: readonly ValidationError[], nulls: NullKeys): Report[] {
  const ctx: Context = { root, value, nulls };
  const located = errors.map((e) => ({ e, path: toPath(e.instancePath, value) }));
  // A value of the wrong type makes every other complaint about it noise.
  const typed = new Set(located.filter((x) => x.e.keyword === 'type').map((x) => pathKey(x.path)));
  const seen = new Set<string>();
  const out: Report[] = [];
  // `contianers:` is both an unknown field and a missing `containers`; the rename fixes both, so the
  // missing-field report is dropped in favour of it.
  const renamedTo = new Set<string>();
  for (const { e, path } of located) {
    const key = pathKey(path);
    if (e.keyword !== 'type' && typed.has(key) && e.keyword !== 'required' && e.keyword !== 'additionalProperties') continue;
    const detail = String(e.params.missingProperty ?? e.params.additionalProperty ?? '');
    const dedupe = `${e.keyword}|${key}|${detail}`;
    if (seen.has(dedupe)) continue;
    seen.add(dedupe);
    switch (e.keyword) {
      case 'type':
        out.push(typeReport(ctx, path));
        break;
      case 'enum':
        out.push(enumReport(ctx, path, (e.params.allowedValues as string[] | undefined) ?? []));
        break;
      case 'required':
        out.push(requiredReport(ctx, path, detail));
        break;
      case 'additionalProperties': {
        const r = unknownFieldReport(ctx, path, detail);
        const fix = r.fixes?.[0];
        if (fix?.kind === 'rename-key') renamedTo.add(pathKey([...path, fix.to]));
        out.push(r);
        break;
      }
      default:
        out.push(formatReport(ctx, path, e.keyword, e.params.pattern as string | undefined));
    }
  }
  if (renamedTo.size === 0) return out;
  return out.filter((r) => {
    if (r.rule !== 'schema-required') return true;
    const fix = r.fixes?.[0];
    return !(fix?.kind === 'insert-field' && renamedTo.has(pathKey([...r.path, fix.key])));
  });
}

