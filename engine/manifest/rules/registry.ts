// Every rule Podsmith reports: a stable id, a default severity and one line saying why it matters.
// The README's rules table and the CLI's `--list-rules` are generated from this list.
import type { Severity } from '../types';

export type RuleCategory = 'syntax' | 'schema' | 'limit' | 'semantic' | 'runtime';

export interface RuleInfo {
  id: string;
  severity: Severity;
  category: RuleCategory;
  summary: string;
}

export const RULES: RuleInfo[] = [
  { id: 'yaml-syntax', severity: 'error', category: 'syntax', summary: 'The file is not valid YAML or JSON.' },
  { id: 'yaml-too-deep', severity: 'error', category: 'syntax', summary: 'Nesting so deep it can only be hostile input.' },
  { id: 'yaml-alias-limit', severity: 'error', category: 'syntax', summary: 'Too many alias expansions (an alias bomb).' },
  { id: 'not-text', severity: 'error', category: 'syntax', summary: 'The file holds binary data, not UTF-8 text.' },
  { id: 'manifest-too-large', severity: 'error', category: 'limit', summary: 'The file exceeds the 1 MiB manifest limit.' },
  { id: 'api-version', severity: 'error', category: 'schema', summary: 'The apiVersion does not serve this kind.' },
  { id: 'schema-unknown-field', severity: 'error', category: 'schema', summary: 'A field the Kubernetes schema does not define (strict, like kubeconform -strict).' },
  { id: 'schema-type', severity: 'error', category: 'schema', summary: 'A value of the wrong type (string, integer, boolean, object, array).' },
  { id: 'schema-enum', severity: 'error', category: 'schema', summary: 'A value outside the field\'s allowed set.' },
  { id: 'schema-required', severity: 'error', category: 'schema', summary: 'A required field is missing.' },
  { id: 'schema-format', severity: 'error', category: 'schema', summary: 'A malformed resource quantity, integer range or other formatted value.' },
];

const byId = new Map(RULES.map((r) => [r.id, r]));

export function ruleInfo(id: string): RuleInfo | undefined {
  return byId.get(id);
}

export function defaultSeverity(id: string): Severity {
  return byId.get(id)?.severity ?? 'error';
}
