// Shared helpers for the rule tests: lint through the real pipeline, pick findings by rule (so schema findings
// landing alongside never matter), and apply a fix's text edits to see the repaired manifest.
import assert from 'node:assert/strict';
import { lintText } from '../../engine/manifest/lint';
import { makePositionMapper } from '../../engine/manifest/parse';
import type { Finding, Range, TextEdit } from '../../engine/manifest/types';

export function lines(...ls: string[]): string {
  return ls.join('\n') + '\n';
}

export function findings(text: string, rule: string): Finding[] {
  return lintText(text).findings.filter((f) => f.rule === rule);
}

/** The single finding of `rule`, failing loudly when there are none or several. */
export function one(text: string, rule: string): Finding {
  const fs = findings(text, rule);
  assert.equal(fs.length, 1, `expected one ${rule}, got ${fs.length}: ${JSON.stringify(fs.map((f) => f.message))}`);
  return fs[0];
}

export function none(text: string, rule: string): void {
  const fs = findings(text, rule);
  assert.deepEqual(fs.map((f) => f.message), [], `expected no ${rule}`);
}

export function range(startLine: number, startChar: number, endLine: number, endChar: number): Range {
  return { start: { line: startLine, character: startChar }, end: { line: endLine, character: endChar } };
}

/** Applies edits from the last to the first, so earlier offsets stay valid. */
export function applyEdits(text: string, edits: TextEdit[]): string {
  const m = makePositionMapper(text);
  const sorted = edits
    .map((e) => ({ from: m.offsetAt(e.range.start), to: m.offsetAt(e.range.end), text: e.newText }))
    .sort((a, b) => b.from - a.from);
  let out = text;
  for (const e of sorted) out = out.slice(0, e.from) + e.text + out.slice(e.to);
  return out;
}

/** The text after applying the finding's fix number `index`. */
export function fixed(text: string, finding: Finding, index = 0): string {
  const fix = finding.fixes?.[index];
  assert.ok(fix, `finding ${finding.rule} has no fix #${index}`);
  return applyEdits(text, fix.edits);
}

/** Asserts rule, severity and range of the single finding of `rule`, and returns it. */
export function expectOne(text: string, rule: string, severity: Finding['severity'], r: Range): Finding {
  const f = one(text, rule);
  assert.equal(f.severity, severity);
  assert.deepEqual(f.range, r, `range of ${rule}: ${f.message}`);
  return f;
}

/** A Pod with the given lines under `spec:` (already indented by two spaces). Line 5 is the first spec line. */
export function pod(...specLines: string[]): string {
  return lines('apiVersion: v1', 'kind: Pod', 'metadata:', '  name: p', 'spec:', ...specLines);
}

/** The exact range of the `nth` occurrence of `needle` on line `line` of `text`, for readable expectations. */
export function on(text: string, line: number, needle: string, nth = 0): Range {
  const l = text.split('\n')[line];
  let at = -1;
  for (let i = 0; i <= nth; i++) {
    at = l.indexOf(needle, at + 1);
    assert.ok(at >= 0, `"${needle}" (#${nth}) not on line ${line}: ${l}`);
  }
  return range(line, at, line, at + needle.length);
}
