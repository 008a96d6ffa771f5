// Shared vocabulary of the manifest engine. Positions follow the LSP convention (0-based line and UTF-16
// character) so the language server passes them through untouched; the CLI adds 1 when printing.

export type Severity = 'error' | 'warning' | 'info';
/** A severity setting: a rule can also be turned off. */
export type SeveritySetting = Severity | 'off';

export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

export interface TextEdit {
  range: Range;
  newText: string;
}

/** A quick fix computed by the engine, so the editor and the CLI offer the same repairs. */
export interface Fix {
  title: string;
  edits: TextEdit[];
  /** The fix an editor may apply on its own ("fix all"). */
  preferred?: boolean;
}

/** A path into a parsed document's value: object keys and array indexes. */
export type Path = (string | number)[];

export interface Finding {
  rule: string;
  severity: Severity;
  message: string;
  range: Range;
  /** Index of the YAML document in the file (0-based), when the finding belongs to one. */
  docIndex?: number;
  /** Path of the offending node inside its document, when known. */
  path?: Path;
  fixes?: Fix[];
}

export interface LintOptions {
  /** Shown in messages; its extension tells JSON from YAML when `language` is not given. */
  fileName?: string;
  /** The manifest's syntax: `json` files must be strict JSON. Default: by `fileName`'s extension, else YAML. */
  language?: 'yaml' | 'json';
  /** Per-rule severity overrides (`off` silences a rule). */
  severities?: Record<string, SeveritySetting>;
}
