// "Did you mean" for misspelled field names and enum values.

/** Optimal-string-alignment distance: Levenshtein plus adjacent transpositions (`contianers` is one edit away). */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  // Three rolling rows (the transposition looks two rows back) instead of a full matrix.
  let prev2 = new Array<number>(b.length + 1).fill(0);
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  let cur = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      let v = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a.charCodeAt(i - 1) === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === b.charCodeAt(j - 1)) {
        v = Math.min(v, prev2[j - 2] + 1);
      }
      cur[j] = v;
    }
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[b.length];
}

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
