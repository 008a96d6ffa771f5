// Parses YAML (multi-document) and JSON into documents that keep their syntax trees, so every key and
// value can be mapped back to an exact source range. JSON is parsed by the same YAML 1.2 parser (JSON is a
// subset of it), which keeps one code path for ranges. Hostile input never throws out of this module.
import { Document, LineCounter, parseAllDocuments } from 'yaml';
import { LIMITS } from '../limits/table';
import type { Finding, Position, Range } from './types';

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

export function parseText(text: string): ParsedFile {
  const mapper = makePositionMapper(text);
  const out: ParsedFile = { text, documents: [], findings: [], rejected: false, ...mapper };
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
    const parsed = parseAllDocuments(text, { lineCounter, uniqueKeys: true, prettyErrors: false, keepSourceTokens: false });
    docs = Array.isArray(parsed) ? parsed : [];
  } catch (err) {
    // The parser reports exhaustion as errors; this guards against anything it does not.
    out.rejected = true;
    out.findings.push(fileFinding('yaml-syntax', `Could not parse the file: ${(err as Error).message}`));
    return out;
  }
  docs.forEach((doc, index) => {
    const [start, , end] = doc.range;
    const range = { start: mapper.positionAt(doc.contents?.range[0] ?? start), end: mapper.positionAt(end) };
    let value: unknown;
    const syntax = doc.errors.length > 0;
    for (const e of doc.errors) {
      const exhausted = e.code === 'RESOURCE_EXHAUSTION';
      out.findings.push({
        rule: exhausted ? 'yaml-too-deep' : 'yaml-syntax',
        severity: 'error',
        message: exhausted ? 'Document is nested too deeply to be a manifest.' : firstLine(e.message),
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
          rule: bomb ? 'yaml-alias-limit' : 'yaml-syntax',
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
  return line.replace(/ at line \d+, column \d+:?$/, '');
}
