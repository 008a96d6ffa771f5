import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fixableAt, preferredEdits } from '../../engine/manifest/assist/actions';
import type { Finding } from '../../engine/manifest/types';

const r = (l1: number, c1: number, l2: number, c2: number) => ({ start: { line: l1, character: c1 }, end: { line: l2, character: c2 } });
const finding = (range: ReturnType<typeof r>, preferred: boolean, newText = 'x'): Finding => ({
  rule: 'test',
  severity: 'error',
  message: 'm',
  range,
  fixes: [{ title: 't', edits: [{ range, newText }], preferred }],
});

describe('fix selection', () => {
  it('finds fixable findings touching a range, including a cursor at either end', () => {
    const a = finding(r(1, 2, 1, 6), true);
    const b = finding(r(3, 0, 3, 4), true);
    const none: Finding = { rule: 'x', severity: 'error', message: 'm', range: r(1, 2, 1, 6) };
    assert.deepEqual(fixableAt([a, b, none], r(1, 6, 1, 6)), [a]);
    assert.deepEqual(fixableAt([a, b, none], r(0, 0, 5, 0)), [a, b]);
    assert.deepEqual(fixableAt([a, b], r(2, 0, 2, 9)), []);
  });

  it('takes preferred fixes only, and never two that overlap', () => {
    const a = finding(r(1, 0, 1, 5), true, 'a');
    const overlapping = finding(r(1, 3, 1, 8), true, 'b');
    const notPreferred = finding(r(4, 0, 4, 1), false);
    const c = finding(r(6, 0, 6, 2), true, 'c');
    const { fixes, edits } = preferredEdits([a, overlapping, notPreferred, c]);
    assert.equal(fixes.length, 2);
    assert.deepEqual(edits.map((e) => e.newText), ['a', 'c']);
  });
});
