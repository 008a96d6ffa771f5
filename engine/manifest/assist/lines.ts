// Reads block YAML line by line, without a parser. Completion runs on half-typed text (`  imag`, `key: `,
// a fresh empty line) where the syntax tree is missing or misleading, but indentation still says where the
// cursor is.

/** One structural token of a line: a sequence dash or a `key:`. Columns are 0-based UTF-16 offsets. */
export type Entry = { kind: 'item'; col: number } | { kind: 'key'; col: number; key: string; value: string };

export interface LineShape {
  /** Column of the first non-space character (the line length when blank). */
  indent: number;
  blank: boolean;
  comment: boolean;
  /** `---` or `...`: a document boundary. */
  marker: boolean;
  entries: Entry[];
}

export interface Lines {
  text: string;
  /** Offset where each line starts. */
  starts: number[];
  count: number;
  /** Line text without its line break (and without a trailing CR). */
  line(i: number): string;
  shape(i: number): LineShape;
  lineOf(offset: number): number;
}

export function splitLines(text: string): Lines {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  const shapes = new Map<number, LineShape>();
  const line = (i: number): string => {
    const end = i + 1 < starts.length ? starts[i + 1] - 1 : text.length;
    const s = text.slice(starts[i], end);
    return s.endsWith('\r') ? s.slice(0, -1) : s;
  };
  return {
    text,
    starts,
    count: starts.length,
    line,
    shape(i) {
      let s = shapes.get(i);
      if (!s) shapes.set(i, (s = shapeOf(line(i))));
      return s;
    },
    lineOf(offset) {
      let lo = 0;
      let hi = starts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (starts[mid] <= offset) lo = mid;
        else hi = mid - 1;
      }
      return lo;
    },
  };
}

export function shapeOf(line: string): LineShape {
  let i = 0;
  while (i < line.length && line[i] === ' ') i++;
  const blank = i === line.length || line.slice(i).trim() === '';
  const shape: LineShape = { indent: i, blank, comment: line[i] === '#', marker: /^(---|\.\.\.)(\s|$)/.test(line), entries: [] };
  if (blank || shape.comment || shape.marker) return shape;
  // Sequence dashes: `- `, possibly nested on one line (`- - x`); a lone `-` at the end counts too.
  while (line[i] === '-' && (i + 1 === line.length || line[i + 1] === ' ')) {
    shape.entries.push({ kind: 'item', col: i });
    i++;
    while (line[i] === ' ') i++;
  }
  const key = readKey(line, i);
  if (key) shape.entries.push({ kind: 'key', col: i, key: key.key, value: key.value });
  return shape;
}

/** A `key:` starting at `from`, with the rest of the line (comment stripped) as its value text. */
export function readKey(line: string, from: number): { key: string; value: string; colon: number } | undefined {
  const c = line[from];
  if (c === undefined || c === '#' || c === '{' || c === '[') return undefined;
  let key: string;
  let colon: number;
  if (c === '"' || c === "'") {
    const close = closingQuote(line, from);
    if (close < 0) return undefined;
    key = unquote(line.slice(from, close + 1));
    colon = close + 1;
    while (line[colon] === ' ') colon++;
    if (line[colon] !== ':') return undefined;
  } else {
    // A plain key ends at the first `:` followed by a space or the line end (`a.b/c: x` keeps its inner `:`-less text).
    colon = -1;
    for (let j = from; j < line.length; j++) {
      if (line[j] === '#' && line[j - 1] === ' ') break;
      if (line[j] === ':' && (j + 1 === line.length || line[j + 1] === ' ' || line[j + 1] === '\t')) {
        colon = j;
        break;
      }
    }
    if (colon < 0) return undefined;
    key = line.slice(from, colon).trimEnd();
    if (!key) return undefined;
  }
  return { key, value: stripComment(line.slice(colon + 1)).trim(), colon };
}

function closingQuote(line: string, from: number): number {
  const q = line[from];
  for (let j = from + 1; j < line.length; j++) {
    if (q === '"' && line[j] === '\\') j++;
    else if (line[j] === q) {
      if (q === "'" && line[j + 1] === "'") j++;
      else return j;
    }
  }
  return -1;
}

function unquote(s: string): string {
  if (s.startsWith("'")) return s.slice(1, -1).replace(/''/g, "'");
  try {
    return JSON.parse(s) as string;
  } catch {
    return s.slice(1, -1);
  }
}

/** Drops a trailing `# comment` that is not inside quotes. */
export function stripComment(s: string): string {
  let quote = '';
  for (let j = 0; j < s.length; j++) {
    const c = s[j];
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (j === 0 || s[j - 1] === ' ' || s[j - 1] === '\t')) return s.slice(0, j);
  }
  return s;
}

/** A value that opens a block scalar (`|`, `>-`, `|2`): the lines below it are text, not structure. */
export function isBlockScalarHeader(value: string): boolean {
  return /^(?:[&!][^\s]*\s+)*[|>][-+0-9]*$/.test(value);
}

/** A value that leaves the key's content to the following lines (nothing, or only an anchor or tag). */
export function opensBlock(value: string): boolean {
  return value === '' || /^(?:[&!][^\s]*\s*)+$/.test(value);
}
