// The fast path: most files a linter sees are fine, and a fine file needs values, not source ranges.
// js-yaml builds plain values several times faster than the yaml library builds its syntax trees, so
// lintText checks those values first and parses with ranges only when there is something to report.
// Anything unusual (aliases, tags, duplicate keys, any error) returns undefined: the full path decides.
import { loadAll } from 'js-yaml';

export function fastValues(text: string): unknown[] | undefined {
  // Suppression directives are read from comments, which only the full parse keeps.
  if (text.includes('podsmith-disable')) return undefined;
  try {
    return loadAll(text, { maxAliases: 0, json: false });
  } catch {
    return undefined;
  }
}
