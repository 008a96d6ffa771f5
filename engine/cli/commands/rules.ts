// `podsmith rules [--format text|json|markdown]`: every rule with its id, default severity and purpose.
import { parseArgs } from 'node:util';
import { RULES } from '../../manifest/rules/registry';
import { UsageError } from '../files';
import type { Io } from '../io';

export function rulesCommand(argv: string[], io: Io): number {
  const { values } = parseArgs({ args: argv, options: { format: { type: 'string', default: 'text' } } });
  if (values.format === 'json') io.out(JSON.stringify(RULES, null, 2) + '\n');
  else if (values.format === 'markdown') {
    const rows = RULES.map((r) => `| \`${r.id}\` | ${r.severity} | ${r.category} | ${r.summary.replace(/\|/g, '\\|')} |`);
    io.out(['| Rule | Default | Category | What it catches |', '|---|---|---|---|', ...rows].join('\n') + '\n');
  } else if (values.format === 'text') {
    const w = Math.max(...RULES.map((r) => r.id.length));
    io.out(RULES.map((r) => `${r.id.padEnd(w)}  ${r.severity.padEnd(7)}  ${r.summary}`).join('\n') + '\n');
  } else throw new UsageError('--format must be text, json or markdown');
  return 0;
}
