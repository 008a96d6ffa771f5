// Completion at the cursor: field names of the mapping being filled, and values for the field being set
// (enums, booleans, runtime classes, and names declared elsewhere in the pod: volumes, ports, ConfigMaps).
// YAML and JSON find the cursor differently (indentation, brackets) and write their text differently
// (`key: $1`, `"key": "$1"`); what is offered is the same.
import { EXPECTED_API_VERSION } from '../documents';
import { languageOf, type ManifestLanguage } from '../language';
import { valueAt } from '../lint';
import { MAX_ALIASES, makePositionMapper } from '../parse';
import type { FieldInfo } from '../schema/index';
import type { Path, Range } from '../types';
import { LIMITS } from '../../limits/table';
import { RUNTIME_CLASS_ALIASES, RUNTIME_CLASS_NAMES } from '../../limits/runtime-classes';
import { cursorContext, type CursorContext } from './context';
import type { AssistOptions } from './hover';
import { jsonCursor } from './json-context';
import { childFields, fieldAt, placement, type Describe } from './schema-view';
import { composeDocuments } from '../yaml-compose';

export interface CompletionEntry {
  label: string;
  kind: 'field' | 'value' | 'reference';
  /** Short type or origin shown next to the label. */
  detail?: string;
  /** Markdown. */
  documentation?: string;
  /** The text replacing `range`: a snippet (`$1`, `${1|a,b|}`) when `snippet` is set. */
  insertText: string;
  snippet: boolean;
  range: Range;
  sortText?: string;
  /** What the editor matches the typed text against, when that is not the label (`"image"` in JSON). */
  filterText?: string;
}

export interface CompletionOptions extends AssistOptions {
  /** Its extension tells JSON from YAML when `language` is not given. */
  fileName?: string;
  language?: ManifestLanguage;
  /** The character that triggered an automatic completion, if one did. */
  triggerCharacter?: string;
}

export function completeAt(text: string, offset: number, options: CompletionOptions = {}): CompletionEntry[] {
  if (languageOf(options) === 'json') return completeJson(text, offset, options);
  // A YAML file written in flow style throughout: indentation says nothing there.
  if (/^\s*[{[]/.test(text)) return [];
  // A typed quote asks for JSON property names; in YAML it only starts a string.
  if (options.triggerCharacter === '"') return [];
  const ctx = cursorContext(text, offset);
  if (!ctx) return [];
  // A space typed while indenting is not a request for field names; a space after `key:` or `- ` is.
  if (options.triggerCharacter === ' ' && ctx.mode === 'key' && !/-\s$/.test(text.slice(Math.max(0, offset - 2), offset))) return [];
  // The document around the cursor, without the token being typed.
  const segText = text.slice(ctx.segment.start, ctx.replace.start) + text.slice(ctx.replace.end, ctx.segment.end);
  const kind = /^kind:[ \t]*["']?([A-Za-z0-9]+)/m.exec(segText)?.[1];
  // Unrelated YAML (compose files, CI configs) gets nothing; a fresh document may start a manifest.
  const fresh = segText.trim() === '';
  if (!fresh && !/^["']?(kind|apiVersion)["']?[ \t]*:/m.test(segText)) return [];
  if (fresh && ctx.path.length > 0) return [];

  const mapper = makePositionMapper(text);
  const range: Range = { start: mapper.positionAt(ctx.replace.start), end: mapper.positionAt(ctx.replace.end) };
  const describe = options.describe;
  const source = new Sources(text, ctx.replace);
  if (ctx.mode === 'key') {
    const fields = keyEntries(kind, ctx, range, describe);
    if (fields.length > 0 || ctx.keyHasColon || ctx.present.length > 0 || ctx.prefix) return fields;
    // An empty line under `key:` may be where a scalar value goes (`imagePullPolicy:` then a new line).
    return valueEntries(kind, ctx.path, { ...ctx, needsSpace: false }, range, source, describe);
  }
  return valueEntries(kind, ctx.path, ctx, range, source, describe);
}

function completeJson(text: string, offset: number, options: CompletionOptions): CompletionEntry[] {
  if (text.length > LIMITS.manifestBytes) return [];
  const ctx = jsonCursor(text, offset);
  if (!ctx) return [];
  // A space after `,` or a line break is layout; after `:` it asks for a value.
  if (options.triggerCharacter === ' ' && ctx.mode === 'key') return [];
  // Unrelated JSON (package.json, settings) gets nothing; an empty object may become a manifest.
  if (!ctx.manifest && !(ctx.fresh && ctx.path.length === 0)) return [];
  const mapper = makePositionMapper(text);
  const range: Range = { start: mapper.positionAt(ctx.replace.start), end: mapper.positionAt(ctx.replace.end) };
  const describe = options.describe;
  const comma = ctx.needsComma ? ',' : '';
  const filter = (label: string) => (ctx.quoted ? JSON.stringify(label) : undefined);
  if (ctx.mode === 'key') {
    const unit = ctx.indent.includes('\t') ? '\t' : '  ';
    return fieldEntries(ctx.kind, ctx.path, ctx.present, range, describe, (name, f) => {
      if (ctx.keyHasColon) return { insertText: JSON.stringify(name), snippet: false, filterText: filter(name) };
      const info = () => fieldAt(ctx.kind, [...ctx.path, name], describe);
      const item = () => fieldAt(ctx.kind, [...ctx.path, name, 0], describe);
      return { insertText: jsonFieldSnippet(name, f.type, ctx.indent, unit, info, item) + comma, snippet: true, filterText: filter(name) };
    });
  }
  const values = valuesFor(ctx.kind, ctx.path, new Sources(text, ctx.replace), describe);
  return values.map((v, i) => ({
    label: v.label,
    kind: v.kind ?? 'value',
    detail: v.detail,
    documentation: v.documentation,
    insertText: (ctx.needsSpace ? ' ' : '') + (v.literal ? v.label : JSON.stringify(v.label)) + comma,
    snippet: false,
    range,
    sortText: String(i).padStart(4, '0'),
    filterText: filter(v.label),
  }));
}

// ---- field names ---------------------------------------------------------------------------------------

type FieldText = Pick<CompletionEntry, 'insertText' | 'snippet' | 'filterText'>;

/** The fields the object at `path` may still take, each written by `write`. */
function fieldEntries(
  kind: string | undefined,
  path: Path,
  present: string[],
  range: Range,
  describe: Describe | undefined,
  write: (name: string, f: { type: string }) => FieldText,
): CompletionEntry[] {
  const fields = childFields(kind, path, describe);
  if (!fields) return [];
  const taken = new Set(present);
  const out: CompletionEntry[] = [];
  for (const [name, f] of Object.entries(fields)) {
    if (taken.has(name)) continue;
    // Status is written by the cluster, never by the author.
    if (path.length === 0 && name === 'status') continue;
    out.push({
      label: name,
      kind: 'field',
      detail: f.required ? `${f.type} (required)` : f.type,
      documentation: f.description,
      ...write(name, f),
      range,
      // Required fields first, then alphabetical.
      sortText: `${f.required ? 0 : 1}${name}`,
    });
  }
  return out;
}

function keyEntries(kind: string | undefined, ctx: CursorContext, range: Range, describe?: Describe): CompletionEntry[] {
  const indent = ' '.repeat(ctx.column);
  return fieldEntries(kind, ctx.path, ctx.present, range, describe, (name, f) =>
    ctx.keyHasColon
      ? { insertText: name, snippet: false }
      : { insertText: fieldSnippet(name, f.type, indent, () => fieldAt(kind, [...ctx.path, name], describe)), snippet: true },
  );
}

const SCALAR_TYPES = new Set(['string', 'integer', 'number', 'boolean', 'quantity', 'int-or-string']);

/**
 * `key: $1` for scalars, a nested block for objects and maps, a `- ` item for arrays. Object types are
 * displayed by their definition name (`Container`), so anything not known to be a scalar is asked for its
 * own fields.
 */
function fieldSnippet(name: string, type: string, indent: string, info: () => FieldInfo | undefined): string {
  const key = /^[A-Za-z0-9_.\/-]+$/.test(name) ? name : JSON.stringify(name);
  if (/^array\b/.test(type)) return `${key}:\n${indent}  - $1`;
  if (/^(object|map)\b/.test(type)) return `${key}:\n${indent}  $1`;
  if (type === 'boolean') return `${key}: \${1|true,false|}`;
  const details = info();
  if (details?.enum?.length) return `${key}: \${1|${details.enum.map(escapeChoice).join(',')}|}`;
  if (!SCALAR_TYPES.has(type) && (details?.properties || !details)) return `${key}:\n${indent}  $1`;
  return `${key}: $1`;
}

function escapeChoice(v: string): string {
  return v.replace(/[\\$}|,]/g, (c) => `\\${c}`);
}

/**
 * The JSON forms: `"key": "$1"` for strings, a choice for enums and booleans, `{}` with the cursor inside
 * for objects and maps, `[]` for lists (holding `{}` when its items are objects).
 */
function jsonFieldSnippet(
  name: string,
  type: string,
  indent: string,
  unit: string,
  info: () => FieldInfo | undefined,
  item: () => FieldInfo | undefined,
): string {
  const key = JSON.stringify(name).replace(/[$}\\]/g, (c) => `\\${c}`);
  const inner = indent + unit;
  const object = (at: string) => `{\n${at}${unit}$1\n${at}}`;
  if (/^array\b/.test(type)) {
    const items = item();
    const objects = items !== undefined && (items.properties !== undefined || !SCALAR_TYPES.has(items.type));
    return objects ? `${key}: [\n${inner}${object(inner)}\n${indent}]` : `${key}: [$1]`;
  }
  if (/^(object|map)\b/.test(type)) return `${key}: ${object(indent)}`;
  if (type === 'boolean') return `${key}: \${1|true,false|}`;
  const details = info();
  if (details?.enum?.length) return `${key}: "\${1|${details.enum.map((v) => escapeChoice(JSON.stringify(v).slice(1, -1))).join(',')}|}"`;
  if (!SCALAR_TYPES.has(type) && (details?.properties || !details)) return `${key}: ${object(indent)}`;
  if (type === 'string' || type === 'quantity') return `${key}: "$1"`;
  return `${key}: $1`;
}

// ---- values --------------------------------------------------------------------------------------------

interface Value {
  label: string;
  detail?: string;
  documentation?: string;
  kind?: CompletionEntry['kind'];
  /** A boolean: JSON writes it without quotes. */
  literal?: boolean;
}

const CONTAINER_LISTS = new Set(['containers', 'initContainers', 'ephemeralContainers']);
const PROBES = new Set(['livenessProbe', 'readinessProbe', 'startupProbe']);

function valueEntries(
  kind: string | undefined,
  path: Path,
  ctx: CursorContext,
  range: Range,
  source: Sources,
  describe?: Describe,
): CompletionEntry[] {
  const values = valuesFor(kind, path, source, describe);
  return values.map((v, i) => ({
    label: v.label,
    kind: v.kind ?? 'value',
    detail: v.detail,
    documentation: v.documentation,
    insertText: (ctx.needsSpace ? ' ' : '') + yamlScalar(v.label),
    snippet: false,
    range,
    sortText: String(i).padStart(4, '0'),
  }));
}

function valuesFor(kind: string | undefined, path: Path, source: Sources, describe?: Describe): Value[] {
  if (path.length === 1 && path[0] === 'kind') {
    return Object.entries(EXPECTED_API_VERSION).map(([k, api]) => ({ label: k, detail: api }));
  }
  if (path.length === 1 && path[0] === 'apiVersion') {
    const expected = kind ? EXPECTED_API_VERSION[kind] : undefined;
    const all = [...new Set(Object.values(EXPECTED_API_VERSION))];
    return (expected ? [expected] : all).map((v) => ({ label: v }));
  }
  const { podRel, podPath } = placement(kind, path);
  if (podRel && podPath) {
    const refs = podReferences(podRel, podPath, source);
    if (refs) return refs;
  }
  const info = fieldAt(kind, path, describe);
  if (info?.enum?.length) return info.enum.map((v) => ({ label: v, detail: info.type }));
  if (info?.type === 'boolean') return [{ label: 'true', literal: true }, { label: 'false', literal: true }];
  return [];
}

/** Values that name something declared elsewhere in the pod or the file; undefined when `rel` takes none. */
function podReferences(rel: Path, podPath: Path, source: Sources): Value[] | undefined {
  const at = (...p: Path) => valueAt(source.current(), [...podPath, ...p]);
  const last = rel[rel.length - 1];
  if (rel.length === 2 && rel[0] === 'spec' && rel[1] === 'runtimeClassName') {
    return RUNTIME_CLASS_NAMES.map((name) => ({
      label: name,
      kind: 'reference',
      detail: RUNTIME_CLASS_ALIASES[name] ? `alias of ${RUNTIME_CLASS_ALIASES[name]}` : 'runtime class',
      documentation: /microvm/.test(name)
        ? `Runs the pod in a microVM: at most ${LIMITS.microvmVcpusPerPod} vCPUs and ${LIMITS.microvmMemoryMiBPerPod} MiB.`
        : undefined,
    }));
  }
  const inContainer = rel[0] === 'spec' && CONTAINER_LISTS.has(String(rel[1])) && typeof rel[2] === 'number';
  if (inContainer && rel[3] === 'volumeMounts' && rel.length === 6 && last === 'name') {
    return namesOf(at('spec', 'volumes')).map((n) => ({ label: n, kind: 'reference', detail: 'volume' }));
  }
  // Probe and lifecycle handlers may name a port of their own container.
  const handler =
    (PROBES.has(String(rel[3])) && rel.length === 6) ||
    (rel[3] === 'lifecycle' && (rel[4] === 'postStart' || rel[4] === 'preStop') && rel.length === 7);
  const kindOfHandler = rel[rel.length - 2];
  if (inContainer && handler && last === 'port' && (kindOfHandler === 'httpGet' || kindOfHandler === 'tcpSocket')) {
    const ports = at(...rel.slice(0, 3), 'ports');
    const out: Value[] = [];
    for (const p of Array.isArray(ports) ? ports : []) {
      if (isObj(p) && typeof p.name === 'string') out.push({ label: p.name, kind: 'reference', detail: `port ${String(p.containerPort ?? '')}`.trim() });
    }
    return out;
  }
  // ConfigMap and Secret references, from the documents of the same file.
  const tail = rel.slice(-2).join('.');
  const volumeRef = rel[0] === 'spec' && rel[1] === 'volumes' && rel.length === 5;
  if ((volumeRef && tail === 'configMap.name') || (inContainer && (tail === 'configMapKeyRef.name' || tail === 'configMapRef.name'))) {
    return source.namesOfKind('ConfigMap').map((n) => ({ label: n, kind: 'reference', detail: 'ConfigMap' }));
  }
  if ((volumeRef && tail === 'secret.secretName') || (inContainer && (tail === 'secretKeyRef.name' || tail === 'secretRef.name'))) {
    return source.namesOfKind('Secret').map((n) => ({ label: n, kind: 'reference', detail: 'Secret' }));
  }
  return undefined;
}

function namesOf(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  return list.filter(isObj).map((v) => v.name).filter((n): n is string => typeof n === 'string');
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A scalar that YAML reads back as this string (enum values and names are almost always plain). */
function yamlScalar(s: string): string {
  if (/^(true|false)$/.test(s)) return s;
  const plain = /^[A-Za-z_/.][A-Za-z0-9_./-]*$/.test(s) && !/^(null|yes|no|on|off|y|n|~)$/i.test(s);
  return plain ? s : JSON.stringify(s);
}

/**
 * The file's values, read with the token under the cursor blanked out: the half-typed token is usually the
 * only thing keeping the text from parsing. Parsed lazily, only when a completion needs declared names.
 */
class Sources {
  private docs?: { start: number; end: number; value: unknown }[];

  constructor(
    private readonly text: string,
    /** The token under the cursor, blanked before parsing. */
    private readonly replace: { start: number; end: number },
  ) {}

  current(): unknown {
    const offset = this.replace.start;
    return this.all().find((d) => d.start <= offset && offset <= d.end)?.value;
  }

  namesOfKind(kind: string): string[] {
    const out: string[] = [];
    for (const d of this.all()) {
      const v = d.value;
      if (isObj(v) && v.kind === kind && isObj(v.metadata) && typeof v.metadata.name === 'string') out.push(v.metadata.name);
    }
    return [...new Set(out)];
  }

  private all(): { start: number; end: number; value: unknown }[] {
    if (this.docs) return this.docs;
    this.docs = [];
    const { start, end } = this.replace;
    if (this.text.length > LIMITS.manifestBytes) return this.docs;
    const patched = this.text.slice(0, start) + ' '.repeat(end - start) + this.text.slice(end);
    try {
      const composed = composeDocuments(patched, { uniqueKeys: false });
      for (const doc of 'docs' in composed ? composed.docs : []) {
        let value: unknown;
        try {
          value = doc.toJS({ maxAliasCount: MAX_ALIASES });
        } catch {
          value = undefined;
        }
        this.docs.push({ start: doc.range[0], end: doc.range[2], value });
      }
    } catch {
      // Best effort: without values, reference completions are just empty.
    }
    return this.docs;
  }
}
