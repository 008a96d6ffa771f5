// Quoting for the one place a command line reaches a remote shell: an SSH exec request is a single string that
// sshd hands to the login user's shell (`$SHELL -c STRING`). Podsmith sends only fixed commands there, and
// quotes every word anyway, so a path with spaces or quotes stays one argument.
//
// Each word is wrapped in single quotes. A single quote or a backslash is written outside the quotes, escaped
// with a backslash (`'it'\''s'`): that reads the same in sh, dash, bash, zsh, ksh, fish (where `\\` inside
// single quotes would be an escape) and csh/tcsh. Control characters other than tab (newline above all, which csh cannot
// quote and which no path Podsmith sends contains) are refused rather than quoted.

export function quoteArg(word: string): string {
  if (/[\0-\x08\x0a-\x1f\x7f]/.test(word)) throw new Error(`refusing to pass a control character to the remote shell in ${JSON.stringify(word)}`);
  if (word === '') return "''";
  let out = '';
  let run = '';
  for (const ch of word) {
    if (ch === "'" || ch === '\\') {
      if (run) out += `'${run}'`;
      run = '';
      out += `\\${ch}`;
    } else run += ch;
  }
  if (run) out += `'${run}'`;
  return out;
}

/** A command line of quoted words. */
export function commandLine(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('empty command');
  return argv.map(quoteArg).join(' ');
}
