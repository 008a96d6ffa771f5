// The flat, 1-based shape every output format starts from (`--format json` prints exactly this).
import type { Finding, Severity } from '../../manifest/types';

export interface LintRecord {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  severity: Severity;
  rule: string;
  message: string;
}

export function toRecord(file: string, f: Finding): LintRecord {
  return {
    file,
    line: f.range.start.line + 1,
    column: f.range.start.character + 1,
    endLine: f.range.end.line + 1,
    endColumn: f.range.end.character + 1,
    severity: f.severity,
    rule: f.rule,
    message: f.message,
  };
}
