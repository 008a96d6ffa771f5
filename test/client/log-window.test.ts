// The log tab's parts that need no editor: timestamped lines from the daemon, the bounded window (limits, trim,
// earlier pages, time order), and what a tab shows of a line.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { displayText, keyOfMs, LineSplitter, MAX_LINE_CHARS, mergeByTime, parseStamped, timeKey, type LogEntry } from '../../client/logs/log-line';
import { LogWindow, NOTE_PREFIX } from '../../client/logs/log-window';

const ZERO = keyOfMs(0);

function entry(sec: number, text: string, source = 0): LogEntry {
  const time = new Date(Date.UTC(2026, 11, 7, 18, 0, sec)).toISOString().replace('.000Z', '.000000000Z');
  return parseStamped(`${time} ${text}`, source, ZERO);
}

describe('timestamped lines', () => {
  it('splits the RFC 3339 time from the text and keys it by the instant, whatever the offset', () => {
    const a = parseStamped('2026-12-07T18:10:10.123456789+00:00 hello world', 0, ZERO);
    assert.equal(a.time, '2026-12-07T18:10:10.123456789+00:00');
    assert.equal(a.text, 'hello world');
    const b = parseStamped('2026-12-07T19:10:10.123456790+01:00 later by a nanosecond', 0, ZERO);
    const c = parseStamped('2026-12-07T18:10:10.5Z half a second later', 0, ZERO);
    assert.ok(a.key < b.key && b.key < c.key, `${a.key} < ${b.key} < ${c.key}`);
    assert.equal(timeKey('2026-12-07T18:10:10.123456789Z'), a.key);
    assert.equal(timeKey('not a time'), undefined);
  });

  it('a line without a leading time keeps the key of the line before it', () => {
    const e = parseStamped('continued from a partial line', 2, 'K');
    assert.deepEqual(e, { time: '', key: 'K', text: 'continued from a partial line', source: 2 });
  });

  it('shows text, not escape sequences: colors stripped, other controls escaped, tabs kept, long lines cut', () => {
    assert.equal(displayText('\x1b[31mred\x1b[0m and \x1b]0;title\x07plain'), 'red and plain');
    assert.equal(displayText('a\tb\rc\u202ed'), 'a\tb\\x0dc\\u202ed');
    const long = displayText('x'.repeat(MAX_LINE_CHARS + 10));
    assert.ok(long.startsWith('x'.repeat(MAX_LINE_CHARS) + '…'));
    assert.match(long, /\(10 more characters\)$/);
  });

  it('splits chunks into lines, a line or a character cut by a chunk boundary waiting for the rest', () => {
    const s = new LineSplitter();
    const text = Buffer.from('first\nsecond é line\nthird');
    const cut = text.indexOf('é') + 1; // inside the two bytes of é
    assert.deepEqual(s.push(text.subarray(0, cut)), ['first']);
    assert.deepEqual(s.push(text.subarray(cut)), ['second é line']);
    assert.deepEqual(s.end(), ['third']);
    assert.deepEqual(s.end(), []);
  });

  it('merges containers by time, ties in list order', () => {
    const a = [entry(1, 'a1'), entry(3, 'a3'), entry(3, 'a3b')];
    const b = [entry(2, 'b2', 1), entry(3, 'b3', 1)];
    assert.deepEqual(mergeByTime([a, b]).map((e) => e.text), ['a1', 'b2', 'a3', 'a3b', 'b3']);
  });
});

describe('the window of a log tab', () => {
  it('holds the newest lines only: over maxLines it cuts the top to 90 % in one go', () => {
    const w = new LogWindow({ maxLines: 100, maxChars: 1e9 });
    w.add(Array.from({ length: 100 }, (_, i) => entry(i, `line ${i}`)));
    assert.deepEqual(w.take(), { removedTop: 0, added: 100, addedTop: 0 });
    w.add([entry(100, 'line 100')]);
    // 101 > 100: cut to 90, so the next 10 lines need no cut.
    assert.deepEqual(w.take(), { removedTop: 11, added: 1, addedTop: 0 });
    assert.equal(w.length, 90);
    assert.equal(w.first()!.text, 'line 11');
    assert.equal(w.last()!.text, 'line 100');
  });

  it('is bounded by characters too', () => {
    const w = new LogWindow({ maxLines: 1000, maxChars: 1000 });
    w.add(Array.from({ length: 30 }, (_, i) => entry(i, 'x'.repeat(99))));
    w.take();
    assert.ok(w.length <= 9, `${w.length} lines of 100 characters in a 1000-character window`);
  });

  it('keeps only the newest maxLines of lines that arrive faster than it renders', () => {
    const w = new LogWindow({ maxLines: 10, maxChars: 1e9 });
    for (let i = 0; i < 25; i++) w.add([entry(i, `l${i}`)]);
    assert.equal(w.pendingLength, 10);
    w.take();
    assert.equal(w.first()!.text, 'l15');
  });

  it('puts lines that arrived out of order (several containers) in time order at each take', () => {
    const w = new LogWindow({ maxLines: 100, maxChars: 1e9 });
    w.add([entry(2, 'b', 1), entry(1, 'a', 0), entry(3, 'c', 1)]);
    w.take();
    assert.equal(w.render({ timestamps: false, prefixes: ['[x] ', '[y] '] }), '[x] a\n[y] b\n[y] c');
  });

  it('takes earlier pages at the top while there is room, and reports them to the next take', () => {
    const w = new LogWindow({ maxLines: 10, maxChars: 1e9 });
    w.add([entry(50, 'now')]);
    w.take();
    const page = Array.from({ length: 20 }, (_, i) => entry(i, `old ${i}`));
    assert.equal(w.prepend(page), 9, 'room for 9 more');
    assert.equal(w.first()!.text, 'old 11', 'the newest of the page went in');
    assert.deepEqual(w.take(), { removedTop: 0, added: 0, addedTop: 9 });
    assert.equal(w.prepend(page), 0);
  });

  it('renders timestamps on request and the tab\'s own notes without them', () => {
    const w = new LogWindow({ maxLines: 10, maxChars: 1e9 });
    const e = entry(5, 'hello');
    w.add([e, { time: '', key: e.key, text: 'pod web was deleted: the log ends here', source: -1 }]);
    w.take();
    assert.equal(w.render({ timestamps: true }), `${e.time} hello\n${NOTE_PREFIX}pod web was deleted: the log ends here`);
    assert.equal(w.render({ timestamps: false }), `hello\n${NOTE_PREFIX}pod web was deleted: the log ends here`);
  });

  it('drops lines older than a time (where all containers are complete)', () => {
    const w = new LogWindow({ maxLines: 10, maxChars: 1e9 });
    w.add([entry(1, 'a'), entry(2, 'b'), entry(3, 'c')]);
    w.take();
    w.dropBefore(entry(2, '').key);
    assert.equal(w.render({ timestamps: false }), 'b\nc');
    assert.equal(w.countOf(0), 2);
  });
});
