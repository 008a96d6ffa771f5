// "Did you mean" for misspelled field names and enum values.
import { editDistance } from '../edit-distance';

export { editDistance };

/** How far a guess may be from the word it is taken for: short words tolerate fewer typos. */
function tolerance(word: string): number {
  if (word.length <= 3) return 1;
  if (word.length <= 6) return 2;
  return 3;
}

/**
 * The candidate closest to `word`, compared case-insensitively, when it is close enough to be a plausible
 * typo and no other candidate is equally close.
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestScore = Infinity;
  let tie = false;
  for (const c of candidates) {
    const lc = c.toLowerCase();
    // The distance is at least the length difference: far longer or shorter names cannot win.
    if (Math.abs(lc.length - w.length) > tolerance(c)) continue;
    // A pure case difference beats any real edit.
    const score = lc === w ? 0 : editDistance(w, lc) + 0.5;
    if (score < bestScore) {
      best = c;
      bestScore = score;
      tie = false;
    } else if (score === bestScore) tie = true;
  }
  if (best === undefined || tie) return undefined;
  return bestScore === 0 || bestScore - 0.5 <= tolerance(best) ? best : undefined;
}
