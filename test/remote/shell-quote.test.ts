// The quoter for the one string an SSH exec request is: every word must reach the program as itself, in the
// shells a login may have, whatever characters it holds (tested by running real shells).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { commandLine, quoteArg } from '../../engine/remote/shell-quote';

const HOSTILE = [
  '',
  'plain',
  'two words',
  "it's",
  "''",
  '"double"',
  '$(touch /tmp/pwned-by-quote-test)',
  '`id`',
  '$HOME ${HOME} $((1+1))',
  'a\\b',
  '\\',
  "\\'",
  "'\\''",
  'semi;colon && pipe | amp & redirect > /dev/null < x',
  'glob * ? [a-z] ~ ~root',
  '!history !!',
  '#comment',
  'tab\there',
  'ünïcödé ✓ \u202e',
  '-n',
  '--',
];

// printf prints each argument NUL-terminated: what arrives is exactly what the program got.
function roundTrip(shell: string[], words: string[]): string[] {
  const line = commandLine(['printf', '%s\\0', ...words]);
  const r = spawnSync(shell[0], [...shell.slice(1), line], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${shell.join(' ')}: ${r.stderr}`);
  return r.stdout.split('\0').slice(0, -1);
}

describe('quoteArg', () => {
  for (const shell of [['/bin/sh', '-c'], ['/bin/dash', '-c'], ['/bin/bash', '-c'], ['/bin/busybox', 'sh', '-c']]) {
    it(`passes every word through ${shell[0]} unchanged`, { skip: !existsSync(shell[0]) && `${shell[0]} is not installed` }, () => {
      assert.deepEqual(roundTrip(shell, HOSTILE), HOSTILE);
      assert.equal(existsSync('/tmp/pwned-by-quote-test'), false);
    });
  }

  it('writes quotes and backslashes outside the single quotes (fish and csh read them the same way)', () => {
    assert.equal(quoteArg("it's"), "'it'\\''s'");
    assert.equal(quoteArg('a\\b'), "'a'\\\\'b'");
    assert.equal(quoteArg(''), "''");
  });

  it('refuses control characters rather than quote them', () => {
    for (const bad of ['a\nb', 'a\rb', 'nul\0', 'esc\x1b[2J', 'del\x7f']) assert.throws(() => quoteArg(bad), /control character/);
    assert.throws(() => commandLine([]), /empty/);
  });
});
