// PLACEHOLDER until the rules module lands.
import type { ParsedFile } from './parse';
import type { Finding } from './types';

/** Drops findings silenced by `# podsmith-disable-next-line RULE` or a document-wide comment. */
export function applySuppressions(_file: ParsedFile, findings: Finding[]): Finding[] {
  return findings;
}
