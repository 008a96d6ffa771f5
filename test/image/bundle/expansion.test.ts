import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { expand, lookupIn } from '../../../engine/image/bundle';

// Variables of the kubelet's own expansion tests, plus an empty one and one whose value looks like a reference.
const VARS = lookupIn({ VAR_A: 'A', VAR_B: 'B', VAR_C: 'C', VAR_REF: '$(VAR_A)', VAR_EMPTY: '' });

// [input, expected, why]
const CASES: [string, string, string][] = [
  ['', '', 'empty input'],
  ['plain text', 'plain text', 'no operator'],
  ['$(VAR_A)', 'A', 'whole-string reference'],
  ['___$(VAR_B)___', '___B___', 'reference inside text'],
  ['$(VAR_A)$(VAR_B)$(VAR_C)', 'ABC', 'adjacent references'],
  ['$(VAR_A)-$(VAR_A)', 'A-A', 'repeated reference'],
  ['$(VAR_EMPTY)', '', 'defined but empty expands to empty'],
  ['$(VAR_REF)', '$(VAR_A)', 'values are not expanded again'],
  ['$(UNDEFINED)', '$(UNDEFINED)', 'undefined stays verbatim'],
  ['x$(UNDEFINED)y$(VAR_A)', 'x$(UNDEFINED)yA', 'undefined next to defined'],
  ['$$', '$', 'escaped operator'],
  ['$$$', '$$', 'escape then a trailing lone $'],
  ['$$(VAR_A)', '$(VAR_A)', 'escaped reference is literal'],
  ['$$$(VAR_A)', '$A', 'escape then a reference'],
  ['$$$$(VAR_A)', '$$(VAR_A)', 'two escapes then literal text'],
  ['$', '$', 'lone $'],
  ['foo$', 'foo$', 'trailing $'],
  ['$VAR_A', '$VAR_A', 'shell syntax is not expansion'],
  ['${VAR_A}', '${VAR_A}', 'brace syntax is not expansion'],
  ['$-$(VAR_A)', '$-A', '$ before another character stays'],
  ['$(VAR_A', '$(VAR_A', 'unterminated reference stays'],
  ['$(', '$(', 'bare opener'],
  ['$(VAR_A$$', '$(VAR_A$', 'scanning resumes after an unterminated $( so $$ still collapses'],
  ['$(VAR_A $(VAR_B', '$(VAR_A $(VAR_B', 'two unterminated openers'],
  ['$()', '$()', 'empty name is undefined'],
  ['$( VAR_A )', '$( VAR_A )', 'spaces are part of the name'],
  ['$(VAR_A))', 'A)', 'name ends at the first )'],
  ['$((VAR_A))', '$((VAR_A))', 'name "(VAR_A" is undefined, the extra ) is text'],
  ['$(VAR_$(VAR_A))', '$(VAR_$(VAR_A))', 'no nesting: the name is "VAR_$(VAR_A"'],
  ['$(VAR_A$$(VAR_B)', '$(VAR_A$$(VAR_B)', 'the first ) closes a name holding $$('],
  ['(VAR_A)', '(VAR_A)', 'no operator before the opener'],
  ['héllo $(VAR_A) ünï', 'héllo A ünï', 'non-ASCII text around a reference'],
  ['$é', '$é', 'non-ASCII after a lone $ is kept whole (Go would garble it)'],
];

describe('$(VAR) expansion', () => {
  for (const [input, expected, why] of CASES) {
    it(`${JSON.stringify(input)} → ${JSON.stringify(expected)} (${why})`, () => {
      assert.equal(expand(input, VARS), expected);
    });
  }

  it('searches sources in order, the first defining a name wins', () => {
    const lookup = lookupIn(new Map([['A', 'map']]), { A: 'record', B: 'record' });
    assert.equal(expand('$(A)/$(B)', lookup), 'map/record');
  });

  it('does not read inherited object properties', () => {
    assert.equal(expand('$(toString)/$(__proto__)', lookupIn({})), '$(toString)/$(__proto__)');
  });
});
