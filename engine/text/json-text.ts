// Parsing JSON whose text must not appear in errors: credential files (a syntax error message from JSON.parse
// quotes the bytes around the fault, which may be a password) and archives or profiles from elsewhere. On a
// syntax error the message gives only the position, found with jsonc-parser in strict JSON mode.
import { parse as parseJsonc, type ParseError } from 'jsonc-parser';

/** 1-based line and column of `offset` in `text`. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, column: offset - start + 1 };
}

/** Where `text` first stops being JSON, or undefined when it is JSON. */
export function jsonSyntaxErrorAt(text: string): { offset: number; line: number; column: number } | undefined {
  const errors: ParseError[] = [];
  parseJsonc(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  if (!first) return undefined;
  return { offset: first.offset, ...lineColumn(text, first.offset) };
}

/** The parsed value; a syntax error throws `not valid JSON at line L, column C` and nothing of the text. */
export function parseJsonQuietly(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    const at = jsonSyntaxErrorAt(text);
    // jsonc-parser and V8 agree on JSON; should they ever not, still say nothing about the content.
    throw new SyntaxError(at ? `not valid JSON at line ${at.line}, column ${at.column}` : 'not valid JSON');
  }
}
