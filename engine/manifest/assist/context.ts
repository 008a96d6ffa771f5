// Where the cursor is, for completion, read from indentation rather than the syntax tree: while a key is
// half typed the tree is incomplete (`  imag` folds into the previous value, `key: ` is null), but each
// line's indentation and dashes still spell out the path from the document root.
import type { Path } from '../types';
import { isBlockScalarHeader, opensBlock, readKey, splitLines, stripComment, type Entry, type Lines } from './lines';

export interface CursorContext {
  /** `key`: a field name is being typed; `value`: the value of `path`'s last key is. */
  mode: 'key' | 'value';
  /** Key mode: the mapping that receives the key. Value mode: the field whose value is typed. */
  path: Path;
  /** Key mode: the column the mapping's keys start at (snippets indent their nested lines from it). */
  column: number;
  /** Offsets of the partial token a completion replaces. */
  replace: { start: number; end: number };
  /** What is typed of that token, up to the cursor. */
  prefix: string;
  /** Key mode: keys the mapping already holds. */
  present: string[];
  /** Key mode: the token is an existing key (a colon follows), so only its name may be replaced. */
  keyHasColon: boolean;
  /** Value mode: the value would start right after the colon, so an inserted value needs a leading space. */
  needsSpace: boolean;
  /** Offsets of the YAML document (between `---` markers) around the cursor. */
  segment: { start: number; end: number };
}

type Parent = { line: number; index: number } | 'root' | 'invalid';

export function cursorContext(text: string, offset: number): CursorContext | undefined {
  const lines = splitLines(text);
  const L = lines.lineOf(offset);
  const lineText = lines.line(L);
  const lineStart = lines.starts[L];
  const col = Math.min(offset - lineStart, lineText.length);
  const before = lineText.slice(0, col);
  if (lines.shape(L).marker || stripComment(before) !== before) return undefined;

  // The cursor line's own structure: leading dashes, then a key (typed or about to be).
  let i = 0;
  while (before[i] === ' ') i++;
  const items: number[] = [];
  while (before[i] === '-' && before[i + 1] === ' ') {
    items.push(i);
    i++;
    while (before[i] === ' ') i++;
  }
  const keyCol = i;
  const entries: Entry[] = items.map((c) => ({ kind: 'item', col: c }));
  const segment = segmentAround(lines, L);

  const key = readKey(lineText, keyCol);
  if (key && key.colon < col) {
    // Value mode: `key: |` or `key: partial|`.
    const afterColon = key.colon + 1;
    let valueStart = afterColon;
    while (lineText[valueStart] === ' ') valueStart++;
    const start = Math.min(valueStart, col);
    const typed = lineText.slice(start, col);
    if (/^[[{|>&*!]/.test(typed)) return undefined;
    const rest = stripComment(lineText.slice(start)).trimEnd();
    entries.push({ kind: 'key', col: keyCol, key: key.key, value: key.value });
    const path = pathTo(lines, L, entries, entries.length - 1);
    if (!path) return undefined;
    return {
      mode: 'value',
      path: [...path, key.key],
      column: keyCol,
      replace: { start: lineStart + start, end: lineStart + Math.max(col, start + rest.length) },
      prefix: typed,
      present: [],
      keyHasColon: false,
      needsSpace: start === afterColon,
      segment,
    };
  }

  // Key mode: only a partial name (or nothing) may sit between the indentation and the cursor.
  const typed = before.slice(keyCol);
  if (!/^["']?[A-Za-z0-9_.\/-]*$/.test(typed)) return undefined;
  let end = col;
  while (end < lineText.length && /[A-Za-z0-9_.\/-]/.test(lineText[end])) end++;
  const keyHasColon = /^["']?\s*:/.test(lineText.slice(end));
  entries.push({ kind: 'key', col: keyCol, key: '', value: '' });
  const path = pathTo(lines, L, entries, entries.length - 1);
  if (!path) return undefined;
  return {
    mode: 'key',
    path,
    column: keyCol,
    replace: { start: lineStart + keyCol, end: lineStart + end },
    prefix: typed,
    present: siblingKeys(lines, L, keyCol, items.length > 0),
    keyHasColon,
    needsSpace: false,
    segment,
  };
}

/**
 * The path of the collection that holds `entries[j]` on line `L`. Entries to its left on the same line are
 * its ancestors (`- name:` puts `name` in the item); otherwise the parent is found on a line above.
 */
function pathTo(lines: Lines, L: number, entries: Entry[], j: number): Path | undefined {
  if (j > 0) {
    const parent = entries[j - 1];
    const base = pathTo(lines, L, entries, j - 1);
    if (!base) return undefined;
    // An item with a dash to its left opens a nested sequence on this line, so it is item 0.
    return [...base, j - 1 > 0 ? 0 : itemIndex(lines, L, parent.col)];
  }
  const me = entries[0];
  const found = findParent(lines, L, me.kind, me.col);
  if (found === 'root') return [];
  if (found === 'invalid') return undefined;
  const pEntries = lines.shape(found.line).entries;
  const pe = pEntries[found.index];
  const base = pathTo(lines, found.line, pEntries, found.index);
  if (!base) return undefined;
  if (pe.kind === 'key') return [...base, pe.key];
  return [...base, found.index > 0 ? 0 : itemIndex(lines, found.line, pe.col)];
}

/** How many items of the same sequence come before the item at `col` on line `L`. */
function itemIndex(lines: Lines, L: number, col: number): number {
  let n = 0;
  scanUp(lines, L, 'item', col, () => n++);
  return n;
}

function findParent(lines: Lines, L: number, kind: Entry['kind'], col: number): Parent {
  return scanUp(lines, L, kind, col, () => undefined);
}

/**
 * Walks up from line `L` to the parent of a `kind` entry at `col`, calling `sibling` for each earlier item
 * of the same sequence. A key's parent is the nearest entry to its left; an item's parent may also be a key
 * at the same column (`containers:` followed by `- name:` unindented).
 */
function scanUp(lines: Lines, L: number, kind: Entry['kind'], col: number, sibling: () => void): Parent {
  for (let p = L - 1; p >= 0; p--) {
    const s = lines.shape(p);
    if (s.marker) return 'root';
    if (s.blank || s.comment || s.entries.length === 0) continue;
    for (let q = s.entries.length - 1; q >= 0; q--) {
      const e = s.entries[q];
      if (kind === 'item' && e.kind === 'item' && e.col === col) {
        sibling();
        continue;
      }
      const parent = kind === 'key' ? e.col < col : e.kind === 'key' ? e.col <= col : e.col < col;
      if (!parent) continue;
      // A key with an inline value has no block below it: the cursor is in a multi-line scalar or text.
      if (e.kind === 'key' && (!opensBlock(e.value) || isBlockScalarHeader(e.value))) return 'invalid';
      return { line: p, index: q };
    }
  }
  return 'root';
}

/** Keys already in the mapping whose keys start at `col`, scanning both ways from the cursor line. */
function siblingKeys(lines: Lines, L: number, col: number, startsOnThisLine: boolean): string[] {
  const keys: string[] = [];
  if (!startsOnThisLine) {
    for (let p = L - 1; p >= 0; p--) {
      const s = lines.shape(p);
      if (s.marker) break;
      if (s.blank || s.comment || s.entries.length === 0) continue;
      for (const e of s.entries) if (e.kind === 'key' && e.col === col) keys.push(e.key);
      if (s.entries[0].col < col) break;
    }
  }
  for (let p = L + 1; p < lines.count; p++) {
    const s = lines.shape(p);
    if (s.marker) break;
    if (s.blank || s.comment) continue;
    if (s.indent < col) break;
    const first = s.entries[0];
    if (first?.kind === 'key' && first.col === col) keys.push(first.key);
  }
  return keys;
}

function segmentAround(lines: Lines, L: number): { start: number; end: number } {
  let a = L;
  while (a > 0 && !lines.shape(a - 1).marker) a--;
  let b = L;
  while (b + 1 < lines.count && !lines.shape(b + 1).marker) b++;
  const end = b + 1 < lines.count ? lines.starts[b + 1] : lines.text.length;
  return { start: lines.starts[a], end };
}
