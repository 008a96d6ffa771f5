// Parses YAML (multi-document) and JSON into documents that keep their syntax trees, so every key and
// value can be mapped back to an exact source range. JSON is parsed by the same YAML 1.2 parser (JSON is a
// subset of it), which keeps one code path for ranges; a JSON file must also pass the strict JSON check,
// since YAML forgives what JSON does not. Hostile input never throws out of this module.
import { LineCounter, type Document } from 'yaml';
import { LIMITS } from '../limits/table';
import { checkJson } from './json-strict';
import { languageOf, type LanguageHint, type ManifestLanguage } from './language';
import type { Finding, Position, Range } from './types';
import { composeDocuments, MAX_NESTING } from './yaml-compose';

/** Aliases allowed when turning a document into a value: enough for real manifests, far below a bomb. */
export const MAX_ALIASES = 100;

export interface ParsedDocument {
  index: number;
  /** The yaml library's document: its `contents` tree carries the source ranges. */
  doc: Document.Parsed;
  /** The plain value, or undefined when the document could not be turned into one. */
  value: unknown;
  /** From the document's first content character to its end. */
  range: Range;
}

export interface ParsedFile {
  text: string;
  language: ManifestLanguage;
  documents: ParsedDocument[];
  /** Syntax and resource findings, each pinned where the parser stopped. */
  findings: Finding[];
  /** True when the file could not be read as text or was too large to parse. */
  rejected: boolean;
  positionAt(offset: number): Position;
  offsetAt(position: Position): number;
}

export function makePositionMapper(text: string): Pick<ParsedFile, 'positionAt' | 'offsetAt'> {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return {
    positionAt(offset: number): Position {
      const o = Math.max(0, Math.min(offset, text.length));
      let lo = 0;
      let hi = starts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (starts[mid] <= o) lo = mid;
        else hi = mid - 1;
      }
      return { line: lo, character: o - starts[lo] };
    },
    offsetAt(p: Position): number {
      if (p.line >= starts.length) return text.length;
      if (p.line < 0) return 0;
      const lineEnd = p.line + 1 < starts.length ? starts[p.line + 1] - 1 : text.length;
      return Math.min(starts[p.line] + Math.max(0, p.character), lineEnd);
    },
  };
}

/** Bytes that a text file does not contain: NUL and most C0 controls (tab, LF, CR, FF and ESC excepted). */
function looksBinary(text: string): boolean {
  const n = Math.min(text.length, 8192);
  let odd = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0) return true;
    if (c < 32 && c !== 9 && c !== 10 && c !== 13 && c !== 12 && c !== 27) odd++;
    if (c === 0xfffd) odd++;
  }
  return n > 0 && odd / n > 0.1;
}

function fileFinding(rule: string, message: string): Finding {
  const zero = { line: 0, character: 0 };
  return { rule, severity: 'error', message, range: { start: zero, end: zero } };
}

export function parseText(text: string, hint: LanguageHint = {}): ParsedFile {
  const mapper = makePositionMapper(text);
  const language = languageOf(hint);
  const out: ParsedFile = { text, language, documents: [], findings: [], rejected: false, ...mapper };
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > LIMITS.manifestBytes) {
    out.rejected = true;
    out.findings.push(
      fileFinding(
        'manifest-too-large',
        `Manifest is ${bytes} bytes; the limit is ${LIMITS.manifestBytes} bytes (1 MiB). Split it into smaller files.`,
      ),
    );
    return out;
  }
  if (looksBinary(text)) {
    out.rejected = true;
    out.findings.push(fileFinding('not-text', 'File contains binary data (NUL or control bytes); a manifest must be UTF-8 text.'));
    return out;
  }
  const lineCounter = new LineCounter();
  let docs: Document.Parsed[];
  try {
    const composed = composeDocuments(text, { onNewLine: lineCounter.addNewLine, uniqueKeys: true, keepSourceTokens: false });
    if ('tooDeep' in composed) {
      out.rejected = true;
      const at = mapper.positionAt(composed.tooDeep.offset);
      out.findings.push({
        rule: 'yaml-too-deep',
        severity: 'error',
        message: `Document nests collections more than ${MAX_NESTING} deep; this can only be hostile input.`,
        range: { start: at, end: at },
      });
      return out;
    }
    docs = composed.docs;
  } catch (err) {
    // The parser reports exhaustion as errors; this guards against anything it does not.
    out.rejected = true;
    out.findings.push(fileFinding(language === 'json' ? 'json-syntax' : 'yaml-syntax', `Could not parse the file: ${(err as Error).message}`));
    return out;
  }
  const jsonError = language === 'json' ? checkJson(text) : undefined;
  if (jsonError) {
    out.findings.push({
      rule: 'json-syntax',
      severity: 'error',
      message: jsonError.message,
      range: { start: mapper.positionAt(jsonError.start), end: mapper.positionAt(jsonError.end) },
      docIndex: 0,
    });
  }
  // In a JSON file, YAML's own complaints would only restate (or contradict) the JSON error; what YAML finds
  // in valid JSON (duplicate keys) is reported under the JSON rule.
  const syntaxRule = language === 'json' ? 'json-syntax' : 'yaml-syntax';
  docs.forEach((doc, index) => {
    const [start, , end] = doc.range;
    const range = { start: mapper.positionAt(doc.contents?.range[0] ?? start), end: mapper.positionAt(end) };
    let value: unknown;
    const syntax = doc.errors.length > 0 || jsonError !== undefined;
    for (const e of doc.errors) {
      const exhausted = e.code === 'RESOURCE_EXHAUSTION';
      if (jsonError && !exhausted) continue;
      out.findings.push({
        rule: exhausted ? 'yaml-too-deep' : syntaxRule,
        severity: 'error',
        message: exhausted
          ? 'Document is nested too deeply to be a manifest.'
          : language === 'json' && e.code === 'DUPLICATE_KEY'
            ? 'Duplicate property name: it is already set earlier in this object, and only one value can count.'
            : firstLine(e.message),
        range: { start: mapper.positionAt(e.pos[0]), end: mapper.positionAt(Math.max(e.pos[1], e.pos[0])) },
        docIndex: index,
      });
    }
    if (!syntax) {
      try {
        value = doc.toJS({ maxAliasCount: MAX_ALIASES });
      } catch (err) {
        const bomb = /alias/i.test((err as Error).message);
        out.findings.push({
          rule: bomb ? 'yaml-alias-limit' : syntaxRule,
          severity: 'error',
          message: bomb
            ? `Document expands too many aliases (more than ${MAX_ALIASES}); this looks like an alias bomb.`
            : firstLine((err as Error).message),
          range,
          docIndex: index,
        });
      }
    }
    out.documents.push({ index, doc, value, range });
  });
  return out;
}

function firstLine(s: string): string {
  const line = s.split('\n')[0].trim();
  // The parser quotes a bad block scalar header whole (`|hunter2`); a message never repeats the file's text,
  // which may be a secret.
  return line.replace(/ at line \d+, column \d+:?$/, '').replace(/^(Block scalar header includes extra characters):.*$/, '$1.');
}
