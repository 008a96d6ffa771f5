// Human output, one finding per line in the `file:line:col` form editors and terminals make clickable.
import type { LintRecord } from './record';

export function formatText(records: LintRecord[], fileCount: number): string {
  const lines = records.map((r) => `${r.file}:${r.line}:${r.column}: ${r.severity} [${r.rule}] ${r.message}`);
  const errors = records.filter((r) => r.severity === 'error').length;
  const warnings = records.filter((r) => r.severity === 'warning').length;
  const infos = records.length - errors - warnings;
  const files = `${fileCount} file${fileCount === 1 ? '' : 's'}`;
  if (records.length === 0) lines.push(`No problems in ${files}.`);
  else lines.push(`${plural(errors, 'error')}, ${plural(warnings, 'warning')}, ${plural(infos, 'info')} in ${files}.`);
  return lines.join('\n') + '\n';
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 || word === 'info' ? '' : 's'}`;
}
