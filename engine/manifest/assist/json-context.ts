// Where the cursor is in a JSON manifest, for completion. While a key or value is half typed the text is
// rarely valid JSON (`{"ima`, `"name": ,`, a missing `}`), so this reads tokens, tolerantly, and follows
// the braces and brackets to the cursor: the path of the object or field being filled, the token the
// completion replaces, and whether a comma must follow the inserted text.
import type { Path } from '../types';

export interface JsonCursor {
  /** `key`: a property name is being typed; `value`: the value of `path` (a field or a list item) is. */
  mode: 'key' | 'value';
  /** Key mode: the object that receives the key. Value mode: the field or item whose value is typed. */
  path: Path;
  /** Offsets of the token a completion replaces (a string with its quotes, a bare word, or nothing). */
  replace: { start: number; end: number };
  /** What is typed of that token up to the cursor, without its opening quote. */
  prefix: string;
  /** Whether the replaced token starts with a double quote (editors filter completions by the typed text). */
  quoted: boolean;
  /** Key mode: keys the object already holds, before and after the cursor. */
  present: string[];
  /** Key mode: a colon follows the token, so only the name may be replaced. */
  keyHasColon: boolean;
  /** Another member or item follows the replaced token without a comma in between. */
  needsComma: boolean;
  /** The replaced token would touch the colon before it. */
  needsSpace: boolean;
  /** Leading whitespace of the cursor's line: nested lines of a snippet are indented from it. */
  indent: string;
  /** The top-level "kind", when it is a string. */
  kind?: string;
  /** The top-level object has "apiVersion" or "kind" (besides the token being typed). */
  manifest: boolean;
  /** The top-level object holds nothing besides the token being typed: a manifest may start here. */
  fresh: boolean;
}

interface Token {
  type: 'punct' | 'string' | 'word';
  start: number;
  end: number;
  /** The punctuation character, or the string's value when it is a complete string. */
  text: string;
  /** A string without its closing quote (it ran into the line end). */
  open?: boolean;
}

interface Frame {
  type: 'object' | 'array';
  /** Object: the key of the member being read. */
  key?: string;
  /** Array: index of the item being read. */
  index: number;
  expect: 'key' | 'colon' | 'value' | 'comma';
  keys: string[];
}

const WORD = /[^\s,:[\]{}"]+/y;

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (c === '/' && text[i + 1] === '/') {
      const n = text.indexOf('\n', i);
      i = n < 0 ? text.length : n;
    } else if (c === '/' && text[i + 1] === '*') {
      const n = text.indexOf('*/', i + 2);
      i = n < 0 ? text.length : n + 2;
    } else if ('{}[]:,'.includes(c)) {
      out.push({ type: 'punct', start: i, end: i + 1, text: c });
      i++;
    } else if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"' && text[j] !== '\n' && text[j] !== '\r') j += text[j] === '\\' ? 2 : 1;
      const closed = text[j] === '"';
      const end = closed ? j + 1 : Math.min(j, text.length);
      let value = text.slice(i + 1, closed ? j : end);
      try {
        value = JSON.parse(`"${value}"`) as string;
      } catch {
        // A half-typed escape: keep the raw text.
      }
      out.push({ type: 'string', start: i, end, text: value, open: !closed });
      i = end;
    } else {
      WORD.lastIndex = i;
      WORD.exec(text);
      const end = Math.max(WORD.lastIndex, i + 1);
      out.push({ type: 'word', start: i, end, text: text.slice(i, end) });
      i = end;
    }
  }
  return out;
}

/** The token the cursor is typing in: inside a string (or at the end of an unclosed one), or at a word's end. */
function tokenAt(tokens: Token[], offset: number): number {
  return tokens.findIndex((t) => {
    if (t.type === 'string') return t.start < offset && (t.open ? offset <= t.end : offset < t.end);
    if (t.type === 'word') return t.start < offset && offset <= t.end;
    return false;
  });
}

function pathOf(frames: Frame[], withTop: boolean): Path {
  const path: Path = [];
  frames.forEach((f, i) => {
    if (i === frames.length - 1 && !withTop) return;
    path.push(f.type === 'object' ? (f.key ?? '') : f.index);
  });
  return path;
}

interface Snapshot {
  mode: 'key' | 'value';
  path: Path;
  frame: Frame;
}

export function jsonCursor(text: string, offset: number): JsonCursor | undefined {
  const tokens = tokenize(text);
  const at = tokenAt(tokens, offset);
  const frames: Frame[] = [];
  let root: Frame | undefined;
  let kind: string | undefined;
  let snap: Snapshot | undefined;
  let snapped = false;

  const takeSnapshot = () => {
    snapped = true;
    const top = frames[frames.length - 1];
    if (!top) return;
    if (top.type === 'object' && top.expect === 'key') snap = { mode: 'key', path: pathOf(frames, false), frame: top };
    else if (top.expect === 'value') snap = { mode: 'value', path: pathOf(frames, true), frame: top };
  };
  /** A scalar or an opening bracket took the place of a value. */
  const valueDone = () => {
    const top = frames[frames.length - 1];
    if (top) top.expect = 'comma';
  };

  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (!snapped && (i === at || t.start >= offset)) takeSnapshot();
    if (i === at) continue; // the token being typed is not part of the document yet
    const top = frames[frames.length - 1];
    if (t.type === 'punct') {
      switch (t.text) {
        case '{':
        case '[': {
          valueDone();
          const frame: Frame = { type: t.text === '{' ? 'object' : 'array', index: 0, expect: t.text === '{' ? 'key' : 'value', keys: [] };
          if (frames.length === 0) root ??= frame;
          frames.push(frame);
          break;
        }
        case '}':
        case ']':
          frames.pop();
          break;
        case ':':
          if (top?.type === 'object') top.expect = 'value';
          break;
        case ',':
          if (top?.type === 'object') {
            top.expect = 'key';
            top.key = undefined;
          } else if (top) {
            top.index++;
            top.expect = 'value';
          }
          break;
      }
      continue;
    }
    // A string or word: a key where the object expects one (also after a forgotten comma), else a value.
    if (top?.type === 'object' && (top.expect === 'key' || (top.expect === 'comma' && tokens[i + 1]?.text === ':'))) {
      top.key = t.text;
      top.keys.push(t.text);
      top.expect = 'colon';
    } else {
      if (top === root && top?.type === 'object' && top.key === 'kind' && t.type === 'string' && !t.open) kind = t.text;
      valueDone();
    }
  }
  if (!snapped) takeSnapshot();
  if (!snap) return undefined;

  const token = at >= 0 ? tokens[at] : undefined;
  const replace = token ? { start: token.start, end: token.end } : { start: offset, end: offset };
  // An unclosed string runs to the line end; only its first word is what is being typed.
  if (token?.open) {
    WORD.lastIndex = offset;
    const rest = WORD.exec(text);
    replace.end = rest && rest.index === offset ? offset + rest[0].length : offset;
  }
  const next = tokens.find((t, i) => i !== at && t.start >= replace.end);
  const prev = [...tokens].reverse().find((t, i) => tokens.length - 1 - i !== at && t.end <= replace.start);
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const rootKeys = root?.type === 'object' ? root.keys : [];
  return {
    mode: snap.mode,
    path: snap.path,
    replace,
    prefix: token ? text.slice(token.type === 'string' ? token.start + 1 : token.start, offset) : '',
    quoted: token?.type === 'string',
    present: snap.mode === 'key' ? [...new Set(snap.frame.keys)] : [],
    keyHasColon: snap.mode === 'key' && next?.text === ':' && next.type === 'punct',
    needsComma: next !== undefined && (next.type !== 'punct' || next.text === '{' || next.text === '['),
    needsSpace: prev?.type === 'punct' && prev.text === ':' && prev.end === replace.start,
    indent: /^[ \t]*/.exec(text.slice(lineStart, offset))![0],
    kind,
    manifest: rootKeys.includes('apiVersion') || rootKeys.includes('kind'),
    fresh: rootKeys.length === 0,
  };
}
