// "Did you mean …?": the candidate nearest a misspelt name, by edit distance.
import { editDistance as sharedDistance } from '../edit-distance';

/** Edit distance, or `cap + 1` as soon as the lengths alone prove it must exceed `cap`. */
export function editDistance(a: string, b: string, cap = Infinity): number {
  if (Math.abs(a.length - b.length) > cap) return cap + 1;
  return Math.min(sharedDistance(a, b), cap + 1);
}

/** Close enough to be a typo: a third of the name's length, at least 2 edits (case changes count too). */
export function typoBudget(name: string): number {
  return Math.max(2, Math.floor(name.length / 3));
}

const MAX_NAME = 256;

/** The nearest candidate; with `onlyClose`, undefined unless it is within the typo budget. */
export function closest(name: string, candidates: Iterable<string>, onlyClose = true): string | undefined {
  // Distances are quadratic; names this long are not typos of anything a pod declares.
  if (name.length > MAX_NAME) return undefined;
  const cap = onlyClose ? typoBudget(name) : Infinity;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    if (c.length > MAX_NAME) continue;
    // Case-only differences are the likeliest typo of all, so they win ties.
    const d = c.toLowerCase() === name.toLowerCase() ? 0.5 : editDistance(name, c, cap);
    if (d <= cap && d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}
