// Suppression comments, in YAML only (JSON has no comments, so a JSON file never holds one):
//
//   # podsmith-disable-next-line [RULE[,RULE…]] [-- reason]
//       Silences the named rules (all rules when none is named) for findings that START on the next line that
//       is neither blank nor a comment. The comment may also trail a line of content.
//   # podsmith-disable [RULE[,RULE…]] [-- reason]
//       Anywhere in a document (including the comments above its first key): silences the named rules (all
//       rules when none is named) for every finding of that document, and only that document.
//
// Rule lists are separated by commas and/or spaces. Comments are read from the YAML syntax tree, so a
// `#` line inside a block scalar (a shell script in a ConfigMap) is content, not a directive.
import { Parser } from 'yaml';
import type { ParsedFile } from './parse';
import { ruleInfo } from './rules/registry';
import type { Finding, Range } from './types';

interface Comment {
  offset: number;
  source: string;
}

interface Directive {
  wholeDocument: boolean;
  /** Empty means every rule. */
  rules: string[];
  range: Range;
  line: number;
  docIndex: number;
}

const DIRECTIVE = /^#\s*podsmith-disable(-next-line)?(?=\s|$)(.*)$/;

/** Every comment token in the text, in source order. The walk is iterative: nesting depth is unbounded. */
function commentsOf(text: string): Comment[] {
  const out: Comment[] = [];
  const stack: unknown[] = [...new Parser().parse(text)].reverse();
  while (stack.length > 0) {
    const node = stack.pop();
    if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) stack.push(node[i]);
      continue;
    }
    if (typeof node !== 'object' || node === null) continue;
    const token = node as { type?: unknown; offset?: unknown; source?: unknown };
    if (token.type === 'comment' && typeof token.offset === 'number' && typeof token.source === 'string') {
      out.push({ offset: token.offset, source: token.source });
      continue;
    }
    const children = Object.values(node).filter((v) => typeof v === 'object' && v !== null);
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
  }
  return out.sort((a, b) => a.offset - b.offset);
}

function parseRules(rest: string): string[] {
  const reason = rest.search(/(^|\s)--(\s|$)/);
  const list = reason < 0 ? rest : rest.slice(0, reason);
  return list.split(/[\s,]+/).filter((r) => r.length > 0);
}

/** The document a comment belongs to: the first one that ends after it (comments above a document belong to it). */
function documentAt(file: ParsedFile, offset: number): number {
  for (const d of file.documents) if (d.doc.range[2] > offset) return d.index;
  return file.documents.length > 0 ? file.documents[file.documents.length - 1].index : 0;
}

function directivesOf(file: ParsedFile): Directive[] {
  const comments = commentsOf(file.text);
  const lines = file.text.split('\n');
  // Lines that hold nothing but a comment are skipped when looking for "the next line".
  const commentOnly = new Set<number>();
  for (const c of comments) {
    const at = file.positionAt(c.offset);
    if (lines[at.line].slice(0, at.character).trim() === '') commentOnly.add(at.line);
  }
  const out: Directive[] = [];
  for (const c of comments) {
    const m = DIRECTIVE.exec(c.source.trimEnd());
    if (!m) continue;
    const start = file.positionAt(c.offset);
    let line = start.line;
    if (m[1]) {
      line++;
      while (line < lines.length && (commentOnly.has(line) || lines[line].trim() === '')) line++;
    }
    out.push({
      wholeDocument: !m[1],
      rules: parseRules(m[2]),
      range: { start, end: file.positionAt(c.offset + c.source.length) },
      line,
      docIndex: documentAt(file, c.offset),
    });
  }
  return out;
}

function covers(d: Directive, rule: string): boolean {
  return d.rules.length === 0 || d.rules.includes(rule);
}

/** Drops findings silenced by `# podsmith-disable-next-line RULE` or a document-wide comment. */
export function applySuppressions(file: ParsedFile, findings: Finding[]): Finding[] {
  if (file.rejected || !file.text.includes('podsmith-disable')) return findings;
  const directives = directivesOf(file);
  if (directives.length === 0) return findings;
  const kept = findings.filter(
    (f) =>
      !directives.some((d) =>
        d.wholeDocument ? f.docIndex === d.docIndex && covers(d, f.rule) : f.range.start.line === d.line && covers(d, f.rule),
      ),
  );
  // A misspelt rule name would otherwise silence nothing without a word.
  for (const d of directives) {
    for (const rule of d.rules) {
      if (ruleInfo(rule)) continue;
      kept.push({
        rule: 'suppression-unknown-rule',
        severity: ruleInfo('suppression-unknown-rule')?.severity ?? 'warning',
        message: `"${rule}" is not a Podsmith rule, so this comment silences nothing for it. Check the id against Podsmith's rules list.`,
        range: d.range,
        docIndex: d.docIndex,
      });
    }
  }
  return kept;
}
