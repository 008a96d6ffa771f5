// Picks the engine's own fixes for a range, so editor quick fixes and `podsmith lint --fix` stay one thing.
import type { Finding, Fix, Position, Range, TextEdit } from '../types';

export function comparePositions(a: Position, b: Position): number {
  return a.line - b.line || a.character - b.character;
}

/** Touching counts: a cursor at either end of a finding still gets its fixes. */
export function rangesTouch(a: Range, b: Range): boolean {
  return comparePositions(a.start, b.end) <= 0 && comparePositions(b.start, a.end) <= 0;
}

export function sameRange(a: Range, b: Range): boolean {
  return comparePositions(a.start, b.start) === 0 && comparePositions(a.end, b.end) === 0;
}

/** Findings with at least one fix whose range touches `range`. */
export function fixableAt(findings: Finding[], range: Range): Finding[] {
  return findings.filter((f) => f.fixes?.length && rangesTouch(f.range, range));
}

/** The preferred fix of every finding, skipping any whose edits overlap an edit already taken. */
export function preferredEdits(findings: Finding[]): { fixes: Fix[]; edits: TextEdit[] } {
  const fixes: Fix[] = [];
  const edits: TextEdit[] = [];
  for (const f of findings) {
    const fix = f.fixes?.find((x) => x.preferred);
    if (!fix) continue;
    const clash = fix.edits.some((e) => edits.some((t) => overlaps(e.range, t.range)));
    if (clash) continue;
    fixes.push(fix);
    edits.push(...fix.edits);
  }
  return { fixes, edits };
}

/** Overlap of edit ranges; two inserts at the same point also clash, as their order would be arbitrary. */
function overlaps(a: Range, b: Range): boolean {
  const aEmpty = comparePositions(a.start, a.end) === 0;
  const bEmpty = comparePositions(b.start, b.end) === 0;
  if (aEmpty && bEmpty) return comparePositions(a.start, b.start) === 0;
  return comparePositions(a.start, b.end) < 0 && comparePositions(b.start, a.end) < 0;
}
