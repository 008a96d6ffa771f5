// `podsmith schema --export`: the JSON Schema Podsmith validates Pods with, for other tools.
import { parseArgs } from 'node:util';
import { exportSchema } from '../../manifest/schema/index';
import { UsageError } from '../files';
import type { Io } from '../io';

export const SCHEMA_USAGE = `Usage: podsmith schema --export

Prints the Kubernetes Pod JSON Schema (draft-07) that Podsmith validates against, for other tools.`;

export function schemaCommand(argv: string[], io: Io): number {
  const { values } = parseArgs({ args: argv, options: { export: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    io.out(SCHEMA_USAGE + '\n');
    return 0;
  }
  if (!values.export) throw new UsageError('schema needs --export');
  io.out(JSON.stringify(exportSchema(), null, 2) + '\n');
  return 0;
}
