// SARIF 2.1.0, the format code-scanning services ingest. Columns are UTF-16 units, SARIF's default.
import { pathToFileURL } from 'node:url';
import { isAbsolute, relative } from 'node:path';
import { RULES } from '../../manifest/rules/registry';
import type { LintRecord } from './record';

const LEVEL = { error: 'error', warning: 'warning', info: 'note' } as const;

export function formatSarif(records: LintRecord[], version: string): string {
  const index = new Map(RULES.map((r, i) => [r.id, i]));
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'podsmith',
            version,
            informationUri: 'https://github.com/podsmith/podsmith',
            rules: RULES.map((r) => ({
              id: r.id,
              shortDescription: { text: r.summary },
              defaultConfiguration: { level: LEVEL[r.severity] },
              properties: { category: r.category },
            })),
          },
        },
        originalUriBaseIds: { SRCROOT: { uri: pathToFileURL(process.cwd() + '/').href } },
        results: records.map((r) => ({
          ruleId: r.rule,
          ...(index.has(r.rule) ? { ruleIndex: index.get(r.rule) } : {}),
          level: LEVEL[r.severity],
          message: { text: r.message },
          locations: [
            {
              physicalLocation: {
                artifactLocation: artifact(r.file),
                region: { startLine: r.line, startColumn: r.column, endLine: r.endLine, endColumn: r.endColumn },
              },
            },
          ],
        })),
      },
    ],
  };
  return JSON.stringify(log, null, 2) + '\n';
}

function artifact(file: string): { uri: string; uriBaseId?: string } {
  if (isAbsolute(file)) {
    const rel = relative(process.cwd(), file);
    if (rel.startsWith('..')) return { uri: pathToFileURL(file).href };
    file = rel;
  }
  return { uri: file.split('\\').join('/').split('/').map(encodeURIComponent).join('/'), uriBaseId: 'SRCROOT' };
}
