// The one entry point that decides what is wrong with a manifest. The language server, `podsmith lint`
// and (later) `run_pod` all call lintText, so the editor and the engine never disagree.
import { isMap, isScalar, parse as parseYaml, Scalar, type Node } from 'yaml';
import { classify, EXPECTED_API_VERSION, isManifestText, type ManifestDocument } from './documents';
import { parseText, type ParsedFile } from './parse';
import type { FixSpec, Report } from './report';
import { prefixReports } from './report';
import { checkPod } from './rules/index';
import { checkWorkload } from './rules/workloads';
import { defaultSeverity } from './rules/registry';
import { validateSchema, type SchemaRoot } from './schema/index';
import { locate, nodeRange, rangeOf } from './source-map';
import { applySuppressions } from './suppress';
import { fastDocuments } from './fast-values';
import { languageOf, type ManifestLanguage } from './language';
import { LIMITS } from '../limits/table';
import type { Finding, Fix, LintOptions, Path, Range, TextEdit } from './types';

export interface LintResult {
  findings: Finding[];
  /** The full parse, with syntax trees. Built on first access when the fast path found nothing to report. */
  readonly file: ParsedFile;
  readonly documents: ManifestDocument[];
  /** Whether `file` has been built already (false after a clean fast-path lint). */
  readonly parsed: boolean;
}

export interface LintInternals {
  /** Skip the fast path (tests compare both paths). */
  fullParse?: boolean;
}

export function lintText(text: string, options: LintOptions & LintInternals = {}): LintResult {
  const language = languageOf(options);
  if (!options.fullParse && Buffer.byteLength(text, 'utf8') <= LIMITS.manifestBytes) {
    const fast = lintByDocuments(text, language, options);
    if (fast) return fast;
  }
  return lintParsed(parseText(text, { language }), options);
}

const NOWHERE: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

/**
 * Checks every document's values, then parses with ranges only the documents that have reports.
 * Undefined when the fast path cannot decide (the caller parses the whole file).
 */
function lintByDocuments(text: string, language: ManifestLanguage, options: LintOptions): LintResult | undefined {
  const slices = fastDocuments(text, language);
  if (!slices) return undefined;
  const docs = slices.map((s, index) => classify({ index, value: s.value, doc: undefined as never, range: NOWHERE }));
  const findings: Finding[] = [];
  for (const [i, doc] of docs.entries()) {
    if (checkDocument(doc, docs).length === 0) continue;
    const sub = parseText(slices[i].text, { language });
    if (sub.findings.length > 0 || sub.documents.length !== 1) return undefined;
    const full = classify({ ...sub.documents[0], index: i });
    const all = docs.map((d, j) => (j === i ? full : d));
    for (const r of checkDocument(full, all)) findings.push(shiftFinding(toFinding(sub, full, r), slices[i].startLine));
  }
  return lazyResult(text, language, applySeverities(findings, options).sort(byPosition));
}

function shiftRange(r: Range, lines: number): Range {
  return { start: { line: r.start.line + lines, character: r.start.character }, end: { line: r.end.line + lines, character: r.end.character } };
}

function shiftFinding(f: Finding, lines: number): Finding {
  if (lines === 0) return f;
  const out: Finding = { ...f, range: shiftRange(f.range, lines) };
  if (f.fixes) out.fixes = f.fixes.map((x) => ({ ...x, edits: x.edits.map((e) => ({ ...e, range: shiftRange(e.range, lines) })) }));
  return out;
}

/** A result whose syntax trees are built only if someone asks for them (hover, outline). */
function lazyResult(text: string, language: ManifestLanguage, findings: Finding[]): LintResult {
  let full: LintResult | undefined;
  const get = () => (full ??= lintParsed(parseText(text, { language }), {}));
  return {
    findings,
    get file() {
      return get().file;
    },
    get documents() {
      return get().documents;
    },
    get parsed() {
      return full !== undefined;
    },
  };
}

function lintParsed(file: ParsedFile, options: LintOptions): LintResult {
  const documents = file.documents.map(classify);
  const text = file.text;
  const manifest = documents.some((d) => d.role !== 'unrelated') || (file.rejected ? true : isManifestText(text, file.language));
  // Unrelated YAML (no apiVersion or kind anywhere) gets nothing at all, not even syntax errors.
  if (!manifest) return { file, documents, findings: [], parsed: true };

  const findings: Finding[] = [...file.findings];
  for (const doc of documents) {
    for (const r of checkDocument(doc, documents)) findings.push(toFinding(file, doc, r));
  }
  // A rejected file (too large, binary, nested past reason) has its one finding and no syntax tree worth
  // reading comments from.
  const kept = file.rejected ? findings : applySuppressions(file, findings);
  return { file, documents, findings: applySeverities(kept, options).sort(byPosition), parsed: true };
}

function byPosition(a: Finding, b: Finding): number {
  return a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character;
}

function checkDocument(doc: ManifestDocument, all: ManifestDocument[]): Report[] {
  if (doc.value === undefined || doc.role === 'unrelated' || doc.role === 'other-kube') return [];
  const reports: Report[] = [];
  const expected = doc.kind ? EXPECTED_API_VERSION[doc.kind] : undefined;
  if (expected && doc.apiVersion !== expected) {
    reports.push({
      rule: 'api-version',
      path: ['apiVersion'],
      // Nothing written in a Secret is ever quoted (see schema/reports.ts).
      message: `kind ${doc.kind} is served by apiVersion "${expected}", not ${doc.role === 'secret' ? 'the one written here' : JSON.stringify(doc.apiVersion ?? null)}.`,
      fixes: [{ kind: 'set-value', title: `Change apiVersion to ${expected}`, value: expected, preferred: true }],
    });
  }
  reports.push(...checkWorkload(doc));
  const root: SchemaRoot | undefined =
    doc.role === 'pod' ? 'Pod' : doc.role === 'configmap' ? 'ConfigMap' : doc.role === 'secret' ? 'Secret' : undefined;
  if (root) {
    // apiVersion is reported above with a better message than the schema's enum error.
    reports.push(...validateSchema(root, doc.value).filter((r) => !(r.path.length === 1 && r.path[0] === 'apiVersion')));
  }
  if (doc.podPath) {
    const pod = valueAt(doc.value, doc.podPath);
    if (doc.role === 'workload') {
      if (pod === undefined) {
        reports.push({
          rule: 'schema-required',
          path: doc.podPath.slice(0, -1),
          target: 'key',
          message: `${doc.kind} has no pod template at ${doc.podPath.join('.')}.`,
        });
        return reports;
      }
      reports.push(...prefixReports(doc.podPath, validateSchema('PodTemplateSpec', pod)));
    }
    if (isObj(pod)) reports.push(...prefixReports(doc.podPath, checkPod({ pod, document: doc, all })));
  }
  return reports;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function valueAt(value: unknown, path: Path): unknown {
  let v: unknown = value;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

function toFinding(file: ParsedFile, doc: ManifestDocument, r: Report): Finding {
  const finding: Finding = {
    rule: r.rule,
    severity: defaultSeverity(r.rule),
    message: r.message,
    range: rangeOf(file, doc, r.path, r.target ?? 'value'),
    docIndex: doc.index,
    path: r.path,
  };
  const fixes = (r.fixes ?? []).map((f) => toFix(file, doc, r.path, f)).filter((f): f is Fix => f !== undefined);
  if (fixes.length) finding.fixes = fixes;
  return finding;
}

function applySeverities(findings: Finding[], options: LintOptions): Finding[] {
  const overrides = options.severities;
  if (!overrides) return findings;
  const out: Finding[] = [];
  for (const f of findings) {
    const s = overrides[f.rule];
    if (s === 'off') continue;
    out.push(s ? { ...f, severity: s } : f);
  }
  return out;
}

// ---- fixes: abstract specs to text edits ----------------------------------------------------------------

function quoteLike(original: Node | undefined | null, text: string): string {
  if (isScalar(original)) {
    if (original.type === Scalar.QUOTE_DOUBLE) return JSON.stringify(text);
    if (original.type === Scalar.QUOTE_SINGLE) return `'${text.replace(/'/g, "''")}'`;
  }
  return plainOrQuoted(text);
}

/** A YAML scalar that reads back as the same string. */
export function plainOrQuoted(text: string): string {
  // Plain only when YAML reads it back as the same string (so `8Gi` stays plain, `300` or `true` get quotes).
  const plainSafe = /^[A-Za-z0-9_/.][A-Za-z0-9_./-]*$/.test(text) && !/^(yes|no|on|off|y|n)$/i.test(text) && parseYaml(text) === text;
  return plainSafe ? text : JSON.stringify(text);
}

function formatValue(v: unknown): string {
  if (typeof v === 'string') return plainOrQuoted(v);
  return JSON.stringify(v);
}

function toFix(file: ParsedFile, doc: ManifestDocument, reportPath: Path, spec: FixSpec): Fix | undefined {
  const path = spec.at ?? reportPath;
  const loc = locate(doc, path);
  if (loc.depth !== path.length) return undefined;
  let edits: TextEdit[] | undefined;
  // In JSON every string is double-quoted, whatever the value it replaces was.
  const str = (node: Node | null | undefined, text: string) => (file.language === 'json' ? JSON.stringify(text) : quoteLike(node, text));
  if (spec.kind === 'rename-key' && loc.key?.range) {
    edits = [{ range: nodeRange(file, loc.key), newText: str(loc.key, spec.to) }];
  } else if (spec.kind === 'set-value' && loc.value?.range && isScalar(loc.value)) {
    const newText = typeof spec.value === 'string' ? str(loc.value, spec.value) : String(spec.value);
    edits = [{ range: nodeRange(file, loc.value), newText }];
  } else if (spec.kind === 'insert-field' && isMap(loc.value) && loc.value.items.length > 0) {
    edits = insertField(file, loc.value, spec.key, spec.value);
  }
  if (!edits) return undefined;
  return { title: spec.title, edits, preferred: spec.preferred };
}

function insertField(file: ParsedFile, map: Node & { items: unknown[]; flow?: boolean }, key: string, value: unknown): TextEdit[] | undefined {
  const first = (map.items[0] as { key?: Node }).key;
  if (!first?.range) return undefined;
  const at = file.positionAt(first.range[0]);
  const range = { start: at, end: at };
  if (map.flow) {
    const quoted = file.language === 'json' || (isScalar(first) && first.type === Scalar.QUOTE_DOUBLE);
    const k = quoted ? JSON.stringify(key) : plainOrQuoted(key);
    return [{ range, newText: `${k}: ${JSON.stringify(value)}, ` }];
  }
  // Block mapping: a new first line at the same indentation as the existing keys.
  const indent = ' '.repeat(at.character);
  return [{ range, newText: `${plainOrQuoted(key)}:${blockValue(value, indent)}\n${indent}` }];
}

/** A value after `key:` in block style: a scalar on the same line, a mapping of scalars nested below it. */
function blockValue(value: unknown, indent: string): string {
  if (!isPlainObject(value) || Object.keys(value).length === 0) return ` ${formatValue(value)}`;
  const inner = indent + '  ';
  return Object.entries(value)
    .map(([k, v]) => `\n${inner}${plainOrQuoted(k)}:${blockValue(v, inner)}`)
    .join('');
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
