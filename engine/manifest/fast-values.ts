// The fast path: most documents a linter sees are fine, and a fine document needs values, not source
// ranges. js-yaml builds plain values several times faster than the yaml library builds syntax trees, so
// lintText checks those values first and parses with ranges only the documents that have something to
// report. Anything unusual (aliases, directives, duplicate keys, any error) returns undefined: the full
// parse of the whole file decides then.
import { loadAll } from 'js-yaml';
import { checkJson } from './json-strict';
import type { ManifestLanguage } from './language';

export interface FastDocument {
  /** The document's own text, from its `---` line (or the file start) to the next marker. */
  text: string;
  /** 0-based line of the file where `text` starts. */
  startLine: number;
  value: unknown;
}

/** A `---` marker at the start of a line begins a document. */
const MARKER = /^---(?=[ \t\r\n]|$)/gm;

export function fastDocuments(text: string, language: ManifestLanguage = 'yaml'): FastDocument[] | undefined {
  // A JSON file that is not strict JSON gets a syntax finding, which only the full parse gives. Strict JSON
  // is YAML too, and js-yaml reads it to the same values (a duplicate key still throws below).
  if (language === 'json' && checkJson(text)) return undefined;
  // Suppression directives live in comments, which only the full parse keeps. Directives (`%YAML`) and
  // end markers (`...`) change where documents begin: leave those files to the full parse.
  if (text.includes('podsmith-disable') || /^(%|\.\.\.)/m.test(text)) return undefined;
  const starts = [0];
  for (const m of text.matchAll(MARKER)) if (m.index! > 0) starts.push(m.index!);
  const out: FastDocument[] = [];
  let line = 0;
  let counted = 0;
  for (let i = 0; i < starts.length; i++) {
    const slice = text.slice(starts[i], i + 1 < starts.length ? starts[i + 1] : text.length);
    for (let j = counted; j < starts[i]; j++) if (text.charCodeAt(j) === 10) line++;
    counted = starts[i];
    let values: unknown[];
    try {
      values = loadAll(slice, { maxAliases: 0, json: false });
    } catch {
      return undefined;
    }
    if (values.length > 1) return undefined;
    if (values.length === 1) out.push({ text: slice, startLine: line, value: values[0] });
  }
  return out;
}
