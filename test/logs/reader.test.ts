import assert from 'node:assert/strict';
import { linkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  instanceLogPath,
  LogsUnavailableError,
  openContainerLogs,
  openLog,
  pruneInstances,
  listInstances,
  type LogReadStats,
} from '../../engine/logs/index';
import { largeLineMs, readEntries, readText, rec, T0, tempDir, writeLargeLog } from './support/log-fixtures';

const stats = (): LogReadStats => ({ malformed: 0, truncations: 0 });

describe('reading a rotated chain', () => {
  const tmp = tempDir();
  const path = join(tmp.dir, '0.log');
  before(() => {
    // Oldest first: .2, .1, then .0 linked to the live file (as the rotator leaves it).
    writeFileSync(`${path}.2`, rec(0, 'stdout', 'one') + rec(1, 'stdout', 'tw', true));
    writeFileSync(`${path}.1`, rec(2, 'stdout', 'o') + rec(3, 'stderr', 'e1') + rec(4, 'stdout', 'three'));
    writeFileSync(path, rec(5, 'stdout', 'four') + rec(6, 'stderr', 'e2') + rec(7, 'stdout', 'five'));
    linkSync(path, `${path}.0`);
  });
  after(() => tmp.cleanup());

  it('reads every file once, oldest first, joining a line split across files', async () => {
    assert.equal(await readText(await openLog(path)), 'one\ntwo\ne1\nthree\nfour\ne2\nfive\n');
  });

  it('tails across files', async () => {
    assert.equal(await readText(await openLog(path, { tail: 3 })), 'four\ne2\nfive\n');
    assert.equal(await readText(await openLog(path, { tail: 6 })), 'two\ne1\nthree\nfour\ne2\nfive\n');
    assert.equal(await readText(await openLog(path, { tail: 100 })), 'one\ntwo\ne1\nthree\nfour\ne2\nfive\n');
    assert.equal(await readText(await openLog(path, { tail: 0 })), '');
  });

  it('selects streams, and tail counts only the selected ones', async () => {
    assert.equal(await readText(await openLog(path, { streams: ['stderr'] })), 'e1\ne2\n');
    assert.equal(await readText(await openLog(path, { streams: ['stdout'], tail: 4 })), 'two\nthree\nfour\nfive\n');
  });

  it('filters by since (absolute, or seconds before now); a line counts at its last record', async () => {
    assert.equal(await readText(await openLog(path, { sinceMs: T0 + 5 })), 'four\ne2\nfive\n');
    assert.equal(await readText(await openLog(path, { sinceMs: T0 + 2 })), 'two\ne1\nthree\nfour\ne2\nfive\n');
    const now = () => T0 + 1006;
    assert.equal(await readText(await openLog(path, { sinceSeconds: 1, now })), 'e2\nfive\n');
    assert.equal(await readText(await openLog(path, { sinceMs: T0 + 4, tail: 2 })), 'e2\nfive\n');
    assert.equal(await readText(await openLog(path, { sinceMs: T0 + 100 })), '');
  });

  it('prints timestamps when asked, and entries carry them always', async () => {
    const text = await readText(await openLog(path, { tail: 1, timestamps: true }));
    assert.equal(text, '2026-11-22T08:00:00.007000000Z five\n');
    const entries = await readEntries(await openLog(path, { tail: 2, output: 'entries' }));
    assert.deepEqual(entries, [
      { time: '2026-11-22T08:00:00.006000000Z', stream: 'stderr', line: 'e2' },
      { time: '2026-11-22T08:00:00.007000000Z', stream: 'stdout', line: 'five' },
    ]);
  });
});

describe('lines split into pieces', () => {
  const tmp = tempDir();
  after(() => tmp.cleanup());

  it('keeps interleaved partial lines of the two streams apart under tail', async () => {
    const path = join(tmp.dir, 'interleaved.log');
    writeFileSync(
      path,
      rec(0, 'stdout', 'a', true) +
        rec(1, 'stderr', 'e1') +
        rec(2, 'stdout', 'b') +
        rec(3, 'stderr', 'e2') +
        rec(4, 'stdout', 'c'),
    );
    assert.equal(await readText(await openLog(path)), 'e1\nab\ne2\nc\n');
    // Lines are ordered by their completion; the third-last line (ab) started before e1, which is left out.
    assert.equal(await readText(await openLog(path, { tail: 3 })), 'ab\ne2\nc\n');
    assert.equal(await readText(await openLog(path, { tail: 1, streams: ['stderr'] })), 'e2\n');
  });

  it('shows the unfinished end of the log without a newline, ignores a half-written record', async () => {
    const path = join(tmp.dir, 'unfinished.log');
    writeFileSync(path, rec(0, 'stdout', 'done') + rec(1, 'stdout', 'still ', true) + rec(2, 'stdout', 'going', true) + '2026-11-22T08:00');
    assert.equal(await readText(await openLog(path)), 'done\nstill going');
    assert.equal(await readText(await openLog(path, { tail: 1 })), 'still going');
    const entries = await readEntries(await openLog(path, { output: 'entries' }));
    assert.deepEqual(entries[1], { time: '2026-11-22T08:00:00.002000000Z', stream: 'stdout', line: 'still going', partial: true });
  });

  it('cuts a line longer than maxLineBytes into partial entries', async () => {
    const path = join(tmp.dir, 'long.log');
    let s = '';
    for (let i = 0; i < 10; i++) s += rec(i, 'stdout', 'x'.repeat(100), true);
    s += rec(10, 'stdout', 'end');
    writeFileSync(path, s);
    const entries = await readEntries(await openLog(path, { output: 'entries', maxLineBytes: 400 }));
    assert.deepEqual(
      entries.map((e) => [e.line.length, e.partial ?? false]),
      [
        [400, true],
        [400, true],
        [203, false],
      ],
    );
    assert.equal(await readText(await openLog(path, { maxLineBytes: 400 })), 'x'.repeat(1000) + 'end\n');
  });
});

describe('damaged files', () => {
  const tmp = tempDir();
  after(() => tmp.cleanup());

  it('skips and counts malformed lines, handles CRLF and empty content, never throws', async () => {
    const path = join(tmp.dir, 'damaged.log');
    writeFileSync(
      path,
      'garbage\n' +
        '\n' +
        rec(0, 'stdout', 'ok') +
        rec(1, 'stdout', 'crlf\r').replace('\r\n', '\r\n') +
        '2026-11-22T08:00:00Z stdout F\n' +
        '2026-11-22T08:00:00Z stdin F nope\n' +
        '\u0000\u0001\u0002 binary\n' +
        rec(2, 'stderr', ''),
    );
    const s = stats();
    assert.equal(await readText(await openLog(path, { stats: s })), 'ok\ncrlf\n\n\n');
    assert.equal(s.malformed, 3);
    assert.equal(await readText(await openLog(path, { tail: 2 })), '\n\n');
  });

  it('skips a record longer than a read chunk', async () => {
    const path = join(tmp.dir, 'huge-record.log');
    writeFileSync(path, rec(0, 'stdout', 'before') + 'y'.repeat(700 * 1024) + '\n' + rec(1, 'stdout', 'after'));
    const s = stats();
    assert.equal(await readText(await openLog(path, { stats: s })), 'before\nafter\n');
    assert.equal(s.malformed, 1);
    assert.equal(await readText(await openLog(path, { tail: 1 })), 'after\n');
  });

  it('reads nothing from a log that does not exist yet', async () => {
    assert.equal(await readText(await openLog(join(tmp.dir, 'none.log'))), '');
  });
});

describe('container instances and --previous', () => {
  const tmp = tempDir();
  after(() => tmp.cleanup());

  it('names instances by restart count and finds the previous one', async () => {
    const dir = join(tmp.dir, 'ctr');
    await assert.rejects(openContainerLogs(dir, { previous: true }), LogsUnavailableError);
    assert.equal(await readText(await openContainerLogs(dir)), '');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir);
    writeFileSync(instanceLogPath(dir, 0), rec(0, 'stdout', 'run 0'));
    writeFileSync(instanceLogPath(dir, 1), rec(1, 'stdout', 'run 1'));
    writeFileSync(instanceLogPath(dir, 1) + '.1', rec(0, 'stdout', 'run 1 older'));
    writeFileSync(instanceLogPath(dir, 2), rec(2, 'stdout', 'run 2'));
    assert.deepEqual(await listInstances(dir), [0, 1, 2]);
    assert.equal(await readText(await openContainerLogs(dir)), 'run 2\n');
    assert.equal(await readText(await openContainerLogs(dir, { previous: true })), 'run 1 older\nrun 1\n');
    assert.equal(await readText(await openContainerLogs(dir, { restartCount: 0 })), 'run 0\n');
    await assert.rejects(openContainerLogs(dir, { restartCount: 7 }), LogsUnavailableError);
    await pruneInstances(dir, 2);
    assert.deepEqual(await listInstances(dir), [1, 2]);
    assert.throws(() => instanceLogPath(dir, -1), RangeError);
  });
});

describe('a 200 MB log', () => {
  const tmp = tempDir();
  const path = join(tmp.dir, 'big.log');
  const LINES = 2_000_000; // ~100 bytes each
  before(() => writeLargeLog(path, LINES));
  after(() => tmp.cleanup());

  const rssGrowth = async (fn: () => Promise<void>): Promise<number> => {
    const before = process.memoryUsage().rss;
    await fn();
    return process.memoryUsage().rss - before;
  };
  const MB = 1024 * 1024;

  it('tails from the end without reading the file', async () => {
    let text = '';
    const growth = await rssGrowth(async () => {
      text = await readText(await openLog(path, { tail: 10 }));
    });
    const nums = text.trimEnd().split('\n').map((l) => Number(l.split(' ')[0].slice(5)));
    assert.deepEqual(nums, Array.from({ length: 10 }, (_, i) => LINES - 9 + i));
    assert.ok(growth < 100 * MB, `rss grew ${Math.round(growth / MB)} MB`);
  });

  it('finds since from the end', async () => {
    const entries = await readEntries(await openLog(path, { sinceMs: largeLineMs(LINES - 999), output: 'entries' }));
    assert.equal(entries.length, 1000);
    assert.equal(entries[0].line.split(' ')[0], `line-${LINES - 999}`);
  });

  it('streams the whole file with bounded memory', async () => {
    let count = 0;
    let last = '';
    const growth = await rssGrowth(async () => {
      const stream = await openLog(path);
      let rest = '';
      for await (const chunk of stream) {
        const text = rest + chunk.toString();
        const cut = text.lastIndexOf('\n');
        rest = text.slice(cut + 1);
        const lines = text.slice(0, cut).split('\n');
        count += lines.length;
        last = lines[lines.length - 1];
      }
    });
    assert.equal(count, LINES);
    assert.ok(last.startsWith(`line-${LINES} `));
    assert.ok(growth < 100 * MB, `rss grew ${Math.round(growth / MB)} MB`);
  });
});
