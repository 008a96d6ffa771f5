// A parsed and classified file, shared by the assist functions so the server parses each version once.
import { classify, type ManifestDocument } from '../documents';
import type { ManifestLanguage } from '../language';
import { MAX_ALIASES, parseText, type ParsedDocument, type ParsedFile } from '../parse';

export interface Analysis {
  file: ParsedFile;
  documents: ManifestDocument[];
}

export function analyze(text: string, language?: ManifestLanguage): Analysis {
  return analysisOf(parseText(text, { language }));
}

/**
 * Classifies the documents of a parsed file. Unlike the linter, a document with a syntax error is read as
 * far as its tree goes: while someone types, the outline and hovers should not vanish at every keystroke.
 */
export function analysisOf(file: ParsedFile): Analysis {
  return { file, documents: file.documents.map((d) => classify(d.value === undefined ? lenient(d) : d)) };
}

function lenient(d: ParsedDocument): ParsedDocument {
  if (!d.doc.contents) return d;
  try {
    return { ...d, value: d.doc.toJS({ maxAliasCount: MAX_ALIASES }) };
  } catch {
    return d;
  }
}

export function toAnalysis(input: string | Analysis): Analysis {
  return typeof input === 'string' ? analyze(input) : input;
}

/** The document whose source span holds `offset` (the later one when two touch). */
export function documentAt(analysis: Analysis, offset: number): ManifestDocument | undefined {
  let found: ManifestDocument | undefined;
  for (const d of analysis.documents) {
    const [start, , end] = d.doc.range;
    if (start <= offset && offset <= end) found = d;
  }
  return found;
}
