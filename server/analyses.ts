// One lint per document version and settings: diagnostics, quick fixes, hover and the outline all read the
// same result, and a code action request recomputes nothing the keystroke already computed.
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { lintText, type LintResult } from '../engine/manifest/lint';
import { analysisOf, analyze, type Analysis } from '../engine/manifest/assist/analysis';
import { languageOfDocument, lintFileName } from './files';
import type { PodsmithSettings } from './settings';

interface Entry {
  version: number;
  analysis?: Analysis;
  lint?: { settings: PodsmithSettings; result: LintResult };
}

export class Analyses {
  private readonly entries = new Map<string, Entry>();

  private entry(doc: TextDocument): Entry {
    let e = this.entries.get(doc.uri);
    if (!e || e.version !== doc.version) this.entries.set(doc.uri, (e = { version: doc.version }));
    return e;
  }

  lint(doc: TextDocument, settings: PodsmithSettings): LintResult {
    const e = this.entry(doc);
    // Settings objects are replaced, never mutated, so identity tells whether the cached lint still holds.
    if (e.lint?.settings !== settings) {
      const result = lintText(doc.getText(), { fileName: lintFileName(doc), language: languageOfDocument(doc), severities: settings.rules });
      e.lint = { settings, result };
      // A clean fast-path lint built no syntax trees; hover and the outline build them when first asked.
      if (result.parsed) e.analysis = analysisOf(result.file);
    }
    return e.lint.result;
  }

  /** The parsed and classified text, from the lint when there was one. */
  analysis(doc: TextDocument): Analysis {
    const e = this.entry(doc);
    if (!e.analysis) e.analysis = analyze(doc.getText(), languageOfDocument(doc));
    return e.analysis;
  }

  forget(uri: string): void {
    this.entries.delete(uri);
  }
}
