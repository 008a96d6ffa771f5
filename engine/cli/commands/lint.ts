// `podsmith lint [--format text|json|sarif] [--max-warnings N] [--rule ID=SEVERITY] PATH...`
import { parseArgs } from 'node:util';
import { lintText } from '../../manifest/lint';
import { defaultSeverity } from '../../manifest/rules/registry';
import type { Finding, SeveritySetting } from '../../manifest/types';
import { collectFiles, readManifest, UsageError } from '../files';
import { formatSarif } from '../format/sarif';
import { formatText } from '../format/text';
import { toRecord, type LintRecord } from '../format/record';
import type { Io } from '../io';

export const LINT_USAGE = `Usage: podsmith lint [--format text|json|sarif] [--max-warnings N] [--rule ID=error|warning|info|off]... PATH...

Checks pod manifests (YAML or JSON; folders recursively) against the Kubernetes Pod schema, Podsmith's
security limits and semantic rules. Exit 0 when there is no error, 1 when there is an error (or more
warnings than --max-warnings allows), 2 for usage or I/O errors.`;

const SEVERITIES = new Set(['error', 'warning', 'info', 'off']);

export function lintCommand(argv: string[], io: Io, version: string): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      format: { type: 'string', short: 'f', default: 'text' },
      'max-warnings': { type: 'string' },
      rule: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.out(LINT_USAGE + '\n');
    return 0;
  }
  const format = values.format!;
  if (!['text', 'json', 'sarif'].includes(format)) throw new UsageError(`--format must be text, json or sarif, not "${format}"`);
  let maxWarnings = Infinity;
  if (values['max-warnings'] !== undefined) {
    const raw = values['max-warnings'];
    if (!/^\d+$/.test(raw)) throw new UsageError(`--max-warnings needs a whole number, not "${raw}"`);
    maxWarnings = Number(raw);
  }
  const severities: Record<string, SeveritySetting> = {};
  for (const r of values.rule ?? []) {
    const m = /^([a-z0-9-]+)=(\w+)$/.exec(r);
    if (!m || !SEVERITIES.has(m[2])) throw new UsageError(`--rule takes ID=error|warning|info|off, not "${r}"`);
    severities[m[1]] = m[2] as SeveritySetting;
  }
  if (positionals.length === 0) throw new UsageError('lint needs at least one file or folder');

  const files = collectFiles(positionals);
  const records: LintRecord[] = [];
  let ioFailed = false;
  for (const file of files) {
    let findings: Finding[];
    try {
      const read = readManifest(file);
      if (read.ok) findings = lintText(read.text, { fileName: file, severities }).findings;
      else {
        const zero = { line: 0, character: 0 };
        const sev = severities[read.rule] ?? defaultSeverity(read.rule);
        findings = sev === 'off' ? [] : [{ rule: read.rule, severity: sev, message: read.message, range: { start: zero, end: zero } }];
      }
    } catch (err) {
      io.err(`podsmith lint: ${file}: ${(err as NodeJS.ErrnoException).code ?? ''} ${(err as Error).message}\n`);
      ioFailed = true;
      continue;
    }
    for (const f of findings) records.push(toRecord(file, f));
  }

  if (format === 'json') io.out(JSON.stringify(records, null, 2) + '\n');
  else if (format === 'sarif') io.out(formatSarif(records, version));
  else io.out(formatText(records, files.length));

  if (ioFailed) return 2;
  const errors = records.filter((r) => r.severity === 'error').length;
  const warnings = records.filter((r) => r.severity === 'warning').length;
  if (errors > 0) return 1;
  if (warnings > maxWarnings) {
    io.err(`podsmith lint: ${warnings} warnings, more than --max-warnings ${maxWarnings}\n`);
    return 1;
  }
  return 0;
}
