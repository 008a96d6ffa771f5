// What a check returns: a finding on a value path, with fixes described abstractly. Checks know nothing
// of source text; lint.ts maps paths to ranges and fixes to text edits.
import type { Path } from './types';
import type { Target } from './source-map';

export type FixSpec = (
  /** Rename the key at the report's path. */
  | { kind: 'rename-key'; title: string; to: string; preferred?: boolean }
  /** Replace the scalar value at the report's path. */
  | { kind: 'set-value'; title: string; value: string | number | boolean; preferred?: boolean }
  /** Add `key: value` to the mapping at the report's path. */
  | { kind: 'insert-field'; title: string; key: string; value: unknown; preferred?: boolean }
) & {
  /** Where the fix applies when that is not the report's own path (a selector fixed in the template's labels). */
  at?: Path;
};

export interface Report {
  rule: string;
  /** Path from the document root (callers that work on a sub-value prefix their base path). */
  path: Path;
  /** What to underline: the key, the value (default), or both. */
  target?: Target;
  message: string;
  fixes?: FixSpec[];
}

export function prefixReports(base: Path, reports: Report[]): Report[] {
  if (base.length === 0) return reports;
  return reports.map((r) => {
    const out: Report = { ...r, path: [...base, ...r.path] };
    if (r.fixes?.some((f) => f.at)) out.fixes = r.fixes.map((f) => (f.at ? { ...f, at: [...base, ...f.at] } : f));
    return out;
  });
}
