import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  criTimeToMs,
  formatCriRecord,
  formatCriTime,
  parseCriRecord,
  splitIntoCriRecords,
} from '../../engine/logs/cri-format';
import { LineJoiner } from '../../engine/logs/line-joiner';

const T = '2026-11-22T08:53:05.418543920+00:00';

describe('parseCriRecord', () => {
  const table: [string, ReturnType<typeof parseCriRecord>][] = [
    [`${T} stdout F hello world`, { time: T, stream: 'stdout', partial: false, content: 'hello world' }],
    [`${T} stderr P par`, { time: T, stream: 'stderr', partial: true, content: 'par' }],
    ['2026-11-22T08:53:05Z stdout F x', { time: '2026-11-22T08:53:05Z', stream: 'stdout', partial: false, content: 'x' }],
    [`${T} stdout F two  spaces `, { time: T, stream: 'stdout', partial: false, content: 'two  spaces ' }],
    [`${T} stdout F crlf\r`, { time: T, stream: 'stdout', partial: false, content: 'crlf' }],
    [`${T} stdout F `, { time: T, stream: 'stdout', partial: false, content: '' }],
    [`${T} stdout F`, { time: T, stream: 'stdout', partial: false, content: '' }],
    [`${T} stdout F\r`, { time: T, stream: 'stdout', partial: false, content: '' }],
    [`${T} stdout F:extra tagged`, { time: T, stream: 'stdout', partial: false, content: 'tagged' }],
    [`${T} stdout F ünïcødé ✓`, { time: T, stream: 'stdout', partial: false, content: 'ünïcødé ✓' }],
    [`${T} stdout F a\tb`, { time: T, stream: 'stdout', partial: false, content: 'a\tb' }],
    ['', undefined],
    ['garbage', undefined],
    [`${T}`, undefined],
    [`${T} `, undefined],
    [`${T} stdin F x`, undefined],
    [`${T} stdoutF x`, undefined],
    [`${T} stdout X x`, undefined],
    [`${T} stdout FF x`, undefined],
    [`${T} stdout  x`, undefined],
    ['not-a-time stdout F x', undefined],
    ['2026-13-22T08:53:05Z stdout F bad month', undefined],
    ['2026-11-22 08:53:05Z stdout F no T', undefined],
    ['2026-11-22T08:53:05 stdout F no zone', undefined],
    ['2026-11-22T08:53:05.1234567890Z stdout F ten digits', undefined],
    [`${'9'.repeat(200)} stdout F long junk`, undefined],
  ];
  for (const [line, expected] of table) {
    it(JSON.stringify(line.slice(0, 60)), () => {
      assert.deepEqual(parseCriRecord(Buffer.from(line)), expected);
    });
  }

  it('parses a record inside a larger buffer by bounds', () => {
    const buf = Buffer.from(`junk\n${T} stdout F inner\nmore`);
    const start = 5;
    const end = buf.indexOf('\n', start);
    assert.equal(parseCriRecord(buf, start, end)?.content, 'inner');
  });
});

describe('timestamps', () => {
  it('converts RFC3339 with offsets and fractions', () => {
    const base = Date.UTC(2026, 10, 22, 8, 53, 5);
    assert.equal(criTimeToMs('2026-11-22T08:53:05Z'), base);
    assert.equal(criTimeToMs('2026-11-22T10:53:05+02:00'), base);
    assert.equal(criTimeToMs('2026-11-22T07:53:05-0100'), base);
    assert.equal(criTimeToMs('2026-11-22T08:53:05.5Z'), base + 500);
    assert.ok(Math.abs(criTimeToMs('2026-11-22T08:53:05.000000250Z') - (base + 0.00025)) < 1e-4);
    assert.ok(Number.isNaN(criTimeToMs('2026-11-22T08:53:05.Z')));
    assert.ok(Number.isNaN(criTimeToMs('2026-11-22T08:53:05+25:00')));
  });

  it('formats nine fractional digits that parse back', () => {
    const ms = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
    // A double holds about a quarter of a microsecond at today's epoch: only the prefix is exact.
    const s = formatCriTime(ms + 0.000123);
    assert.match(s, /^2026-01-02T03:04:05\.678000\d{3}Z$/);
    assert.ok(Math.abs(criTimeToMs(s) - ms - 0.000123) < 1e-3);
    assert.equal(formatCriTime(ms, 42), '2026-01-02T03:04:05.678000042Z');
  });
});

describe('formatting records', () => {
  it('formats one record with its newline', () => {
    assert.equal(formatCriRecord(T, 'stderr', true, 'x'), `${T} stderr P x\n`);
  });

  it('splits text into F records, long lines into P…F, a trailing fragment into P', () => {
    const out = splitIntoCriRecords(T, 'stdout', 'ab\ncdefg\nh', 2);
    assert.equal(
      out,
      [`${T} stdout F ab`, `${T} stdout P cd`, `${T} stdout P ef`, `${T} stdout F g`, `${T} stdout P h`, ''].join('\n'),
    );
    assert.equal(splitIntoCriRecords(T, 'stdout', '\n'), `${T} stdout F \n`);
  });

  it('never splits a multi-byte character', () => {
    const out = splitIntoCriRecords(T, 'stdout', 'ééé\n', 3);
    const contents = out.trimEnd().split('\n').map((l) => parseCriRecord(Buffer.from(l))!.content);
    assert.deepEqual(contents, ['é', 'é', 'é']);
  });

  it('round-trips through parse and join', () => {
    const text = 'first\n' + 'x'.repeat(50) + '\n\nlast\n';
    const joiner = new LineJoiner();
    const lines = splitIntoCriRecords(T, 'stdout', text, 7)
      .trimEnd()
      .split('\n')
      .map((l) => joiner.push(parseCriRecord(Buffer.from(l))!))
      .filter((e) => e !== undefined)
      .map((e) => e!.line);
    assert.deepEqual(lines, ['first', 'x'.repeat(50), '', 'last']);
  });
});

describe('LineJoiner', () => {
  const rec = (stream: 'stdout' | 'stderr', partial: boolean, content: string, time = T) => ({
    time,
    stream,
    partial,
    content,
  });

  it('joins per stream, so interleaved stdout and stderr pieces stay apart', () => {
    const j = new LineJoiner();
    assert.equal(j.push(rec('stdout', true, 'out-')), undefined);
    assert.deepEqual(j.push(rec('stderr', false, 'err')), { time: T, stream: 'stderr', line: 'err' });
    assert.deepEqual(j.push(rec('stdout', false, 'done', 'T2')), { time: 'T2', stream: 'stdout', line: 'out-done' });
  });

  it('cuts a line at the size cap into partial entries', () => {
    const j = new LineJoiner(10);
    assert.equal(j.push(rec('stdout', true, '12345')), undefined);
    assert.deepEqual(j.push(rec('stdout', true, '67890')), {
      time: T,
      stream: 'stdout',
      line: '1234567890',
      partial: true,
    });
    assert.deepEqual(j.push(rec('stdout', false, 'end')), { time: T, stream: 'stdout', line: 'end' });
  });

  it('flushes open lines as partial entries', () => {
    const j = new LineJoiner();
    j.push(rec('stderr', true, 'half'));
    assert.deepEqual(j.flush(), [{ time: T, stream: 'stderr', line: 'half', partial: true }]);
    assert.deepEqual(j.flush(), []);
  });
});
