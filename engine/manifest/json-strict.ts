// Strict JSON (RFC 8259) syntax check. A `.json` manifest goes to the same YAML parser as everything else
// (JSON is a subset of YAML 1.2, so one code path keeps exact ranges), but YAML accepts much that JSON does
// not: trailing commas, comments, single quotes, unquoted keys, NaN. kubectl decodes a JSON file as JSON and
// rejects all of those, so this check finds the first one first.
// Written here rather than taken from jsonc-parser: that parser is recursive (a hostile nesting depth
// overflows the stack) and reports bare codes ("ValueExpected" at a trailing comma), not what is wrong.
// Messages never quote the file's text: a syntax error can sit inside a Secret's value.

export interface JsonSyntaxError {
  /** Offsets of the offending text (start < end unless at the end of the file). */
  start: number;
  end: number;
  message: string;
}

type State = 'value' | 'first-value' | 'key' | 'first-key' | 'colon' | 'after-value' | 'end';

const SPACE = /[ \t\n\r]*/y;
const HEX4 = /^[0-9a-fA-F]{4}$/;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
/** What a malformed number or a bare word runs to: everything that cannot separate tokens. */
const RUN = /[^\s,:[\]{}"'/]+/y;

/** Words people write for values JSON does not have, with what to write instead. */
const NOT_JSON: Record<string, string> = {
  NaN: 'NaN is not a JSON value; use a number or null.',
  Infinity: 'Infinity is not a JSON value; use a number or null.',
  '-Infinity': '-Infinity is not a JSON value; use a number or null.',
  undefined: 'undefined is not a JSON value; use null or leave the field out.',
  True: 'JSON booleans are lowercase: true or false.',
  False: 'JSON booleans are lowercase: true or false.',
  TRUE: 'JSON booleans are lowercase: true or false.',
  FALSE: 'JSON booleans are lowercase: true or false.',
  yes: 'yes is not a JSON value; use true, or put a string in double quotes.',
  no: 'no is not a JSON value; use false, or put a string in double quotes.',
  None: 'None is not a JSON value; use null.',
  Null: 'JSON null is lowercase: null.',
  NULL: 'JSON null is lowercase: null.',
};

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function lineEnd(text: string, from: number): number {
  const n = text.indexOf('\n', from);
  return n < 0 ? text.length : n;
}

/** The first strict-JSON syntax error in `text`, or undefined when it is one JSON value (or only whitespace). */
export function checkJson(text: string): JsonSyntaxError | undefined {
  // JSON.parse implements exactly this grammar, natively: valid files (the usual case) stop here. It only
  // cannot say where a file goes wrong in terms a user can act on, which is what the scan below is for.
  try {
    JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    return undefined;
  } catch {
    // Invalid, empty, or nested deeper than the native parser's stack: the scan decides.
  }
  return scanJson(text);
}

/** The scan alone, without the native shortcut (tests compare it with JSON.parse). */
export function scanJson(text: string): JsonSyntaxError | undefined {
  const stack: ('{' | '[')[] = [];
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0; // a byte-order mark is tolerated, as editors do
  let state: State = 'value';
  const fail = (start: number, end: number, message: string): JsonSyntaxError => ({ start, end: Math.max(end, start), message });

  for (;;) {
    SPACE.lastIndex = pos;
    SPACE.test(text);
    pos = SPACE.lastIndex;
    if (pos >= text.length) {
      if (state === 'end') return undefined;
      if (stack.length === 0 && state === 'value') return undefined; // empty: no document at all
      const open = stack[stack.length - 1];
      return fail(text.length, text.length, `Unexpected end of file: ${open === '{' ? 'a "}"' : 'a "]"'} is missing.`);
    }
    const c = text[pos];
    const code = text.charCodeAt(pos);

    if (c === '/' && (text[pos + 1] === '/' || text[pos + 1] === '*')) {
      const close = text[pos + 1] === '*' ? text.indexOf('*/', pos + 2) : -1;
      const end = text[pos + 1] === '/' ? lineEnd(text, pos) : close < 0 ? text.length : close + 2;
      return fail(pos, end, 'Comments are not allowed in JSON.');
    }
    if (code === 0xa0 || code === 0x0b || code === 0x0c || code === 0x2028 || code === 0x2029 || code === 0xfeff || code === 0x3000) {
      return fail(pos, pos + 1, 'Only spaces, tabs and line breaks may separate JSON tokens; this is another kind of space.');
    }

    switch (state) {
      case 'end':
        return fail(pos, lineEnd(text, pos), 'A JSON file holds one value; more text follows it. Split the documents into files, or use YAML.');

      case 'colon':
        if (c !== ':') return fail(pos, pos + 1, 'Expected ":" after the property name.');
        pos++;
        state = 'value';
        continue;

      case 'first-key':
      case 'key':
        if (c === '}' && state === 'first-key') {
          stack.pop();
          pos++;
          state = stack.length ? 'after-value' : 'end';
          continue;
        }
        if (c === '"') {
          const end = stringEnd(text, pos);
          if (typeof end !== 'number') return end;
          pos = end;
          state = 'colon';
          continue;
        }
        if (c === "'") return fail(pos, singleQuotedEnd(text, pos), 'Property names must be in double quotes in JSON, not single quotes.');
        RUN.lastIndex = pos;
        if (RUN.exec(text)) return fail(pos, RUN.lastIndex, 'Property names must be strings in double quotes in JSON.');
        return fail(pos, pos + 1, 'Expected a property name in double quotes.');

      case 'after-value': {
        const open = stack[stack.length - 1];
        const close = open === '{' ? '}' : ']';
        if (c === ',') {
          let next = pos + 1;
          while (next < text.length && isSpace(text.charCodeAt(next))) next++;
          if (text[next] === '}' || text[next] === ']') {
            return fail(pos, pos + 1, `Trailing comma: JSON allows no comma before "${text[next]}". Remove it.`);
          }
          pos++;
          state = open === '{' ? 'key' : 'value';
          continue;
        }
        if (c === close) {
          stack.pop();
          pos++;
          state = stack.length ? 'after-value' : 'end';
          continue;
        }
        if (c === '}' || c === ']') return fail(pos, pos + 1, `Expected "," or "${close}" here: this "${c}" does not close the "${open}" that is open.`);
        return fail(pos, pos + 1, `Expected "," or "${close}" after ${open === '{' ? 'a property value' : 'a list item'}; a comma is probably missing.`);
      }

      case 'first-value':
      case 'value': {
        if (c === ']' && state === 'first-value') {
          stack.pop();
          pos++;
          state = stack.length ? 'after-value' : 'end';
          continue;
        }
        if (c === '{' || c === '[') {
          stack.push(c);
          pos++;
          state = c === '{' ? 'first-key' : 'first-value';
          continue;
        }
        if (c === '"') {
          const end = stringEnd(text, pos);
          if (typeof end !== 'number') return end;
          pos = end;
        } else if (c === "'") {
          return fail(pos, singleQuotedEnd(text, pos), 'Strings must be in double quotes in JSON, not single quotes.');
        } else if (c === ',' || c === '}' || c === ']' || c === ':') {
          return fail(pos, pos + 1, stack.length ? `Expected a value before "${c}".` : 'Expected a JSON value.');
        } else {
          const end = valueEnd(text, pos);
          if (typeof end !== 'number') return end;
          pos = end;
        }
        state = stack.length ? 'after-value' : 'end';
        continue;
      }
    }
  }
}

function singleQuotedEnd(text: string, pos: number): number {
  const close = text.indexOf("'", pos + 1);
  const eol = lineEnd(text, pos);
  return close >= 0 && close < eol ? close + 1 : eol;
}

/**
 * The offset after a double-quoted string starting at `pos`, or what is wrong with it. A plain loop: a
 * pattern with a repeated group backtracks exponentially over a long string that never closes.
 */
function stringEnd(text: string, pos: number): number | JsonSyntaxError {
  for (let i = pos + 1; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x22) return i + 1;
    if (ch === 0x5c) {
      const esc = text[i + 1];
      if (esc === 'u') {
        if (!HEX4.test(text.slice(i + 2, i + 6))) {
          return { start: i, end: Math.min(i + 6, lineEnd(text, i)), message: 'A \\u escape needs four hex digits.' };
        }
        i += 5;
      } else if (esc !== undefined && '"\\/bfnrt'.includes(esc)) {
        i++;
      } else {
        return { start: i, end: Math.min(i + 2, text.length), message: 'Invalid escape in a JSON string; JSON knows \\" \\\\ \\/ \\b \\f \\n \\r \\t and \\uXXXX.' };
      }
    } else if (ch === 0x0a || ch === 0x0d) {
      return { start: pos, end: i, message: 'Unterminated string: a JSON string ends on the line it starts (write a line break as \\n).' };
    } else if (ch < 0x20) {
      return { start: i, end: i + 1, message: 'Control characters (such as a tab) must be escaped inside JSON strings: write \\t, \\n or \\u00XX.' };
    }
  }
  return { start: pos, end: lineEnd(text, pos), message: 'Unterminated string: the closing double quote is missing.' };
}

/** The offset after a number or literal starting at `pos`, or what is wrong with it. */
function valueEnd(text: string, pos: number): number | JsonSyntaxError {
  RUN.lastIndex = pos;
  RUN.exec(text);
  const runEnd = Math.max(RUN.lastIndex, pos + 1);
  const word = text.slice(pos, runEnd);
  if (word === 'true' || word === 'false' || word === 'null') return runEnd;
  NUMBER.lastIndex = pos;
  if (NUMBER.test(text) && NUMBER.lastIndex === runEnd) return runEnd;
  const known = Object.hasOwn(NOT_JSON, word) ? NOT_JSON[word] : undefined;
  if (known) return { start: pos, end: runEnd, message: known };
  if (/^[+-]?(?:\d|\.\d)/.test(word)) return { start: pos, end: runEnd, message: numberProblem(word) };
  return { start: pos, end: runEnd, message: 'Text without double quotes is not a JSON value; put strings in double quotes.' };
}

function numberProblem(word: string): string {
  if (word.startsWith('+')) return 'A JSON number may not start with "+".';
  if (/^-?0[xXoObB]/.test(word)) return 'JSON numbers are decimal: no hex, octal or binary prefixes.';
  if (/^-?0\d/.test(word)) return 'A JSON number may not have leading zeros.';
  if (/^-?\./.test(word)) return 'A JSON number needs a digit before the decimal point.';
  if (/\.(?!\d)/.test(word)) return 'A JSON number needs a digit after the decimal point.';
  if (/_/.test(word)) return 'JSON numbers may not hold "_" separators.';
  return 'This is not a valid JSON number.';
}
