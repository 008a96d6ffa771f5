// Text that a remote party wrote (a registry's error body, a header, a manifest field, a tar entry name, a
// container's output in an error) must not act on the terminal or editor that shows it: escape sequences could
// move the cursor, rewrite earlier lines, set the window title or hide text, and bidi or zero-width characters
// could make one name look like another. safeText keeps printable text (any script) and, for multi-line
// messages, plain newlines; every other control or format character is written visibly as an escape.

// C0 and C1 controls and DEL (Cc), format characters such as bidi overrides and zero-width spaces (Cf), lone
// surrogates (Cs), and the Unicode line and paragraph separators (Zl, Zp).
const UNSAFE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/gu;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escape(ch: string): string {
  const named = NAMED[ch];
  if (named) return named;
  const code = ch.codePointAt(0)!;
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * `text` with every control and format character escaped (`\x1b`, `\r`, `\u202e`). With `multiline`, `\n` stays
 * a line break. Idempotent: escaping only adds printable characters.
 */
export function safeText(text: string, opts: { multiline?: boolean } = {}): string {
  return text.replace(UNSAFE, (ch) => (opts.multiline && ch === '\n' ? ch : escape(ch)));
}
