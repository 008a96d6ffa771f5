import assert from 'node:assert/strict';
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, afterEach, describe, it } from 'node:test';
import { instanceLogPath, LogRotator, openContainerLogs, openLog, type LogEntry, type LogReadStats } from '../../engine/logs/index';
import { readEntries, rec, tempDir } from './support/log-fixtures';
import { sequenceProblems } from './support/sequence';
import type { WriterConfig } from './support/cri-writer';
import { killChild } from '../support/wait';

const WRITER = join(__dirname, 'support', 'cri-writer.ts');
const ABORTER = join(__dirname, 'support', 'follow-abort.ts');

/** Writers started by the running test: a failed assertion must not leave one waiting for its `go`. */
const writers: ChildProcess[] = [];
afterEach(async () => {
  await Promise.all(writers.splice(0).map(killChild));
});

function startWriter(cfg: WriterConfig): {
  child: ChildProcess;
  exited: Promise<number | null>;
  done: () => boolean;
  /** Tell the writer (flow control, see cri-writer.ts) that the follower has seen this entry. */
  seen: (e: LogEntry) => void;
} {
  const child = fork(WRITER, [JSON.stringify(cfg)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  writers.push(child);
  let finished = false;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      finished = true;
      resolve(code);
    }),
  );
  let seenOut = 0;
  let waitingFor: number | undefined;
  const release = () => {
    if (waitingFor !== undefined && seenOut >= waitingFor && child.connected) {
      waitingFor = undefined;
      child.send('go');
    }
  };
  child.on('message', (m) => {
    waitingFor = (m as { out: number }).out;
    release();
  });
  const seen = (e: LogEntry) => {
    if (e.stream === 'stdout' && e.line.startsWith('out-')) seenOut = Math.max(seenOut, Number(e.line.slice(4)));
    release();
  };
  return { child, exited, done: () => finished, seen };
}

/** Collects a follow stream's entries until it ends, failing after `ms`. */
function collect(stream: Readable, ms: number, onEntry?: (e: LogEntry, all: LogEntry[]) => void): Promise<LogEntry[]> {
  const all: LogEntry[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stream.destroy();
      reject(new Error(`follow did not end within ${ms} ms; got ${all.length} entries`));
    }, ms);
    stream.on('data', (e: LogEntry) => {
      all.push(e);
      onEntry?.(e, all);
    });
    stream.once('end', () => {
      clearTimeout(timer);
      resolve(all);
    });
    stream.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

const newStats = (): LogReadStats => ({ malformed: 0, truncations: 0 });

/**
 * The `isDone` of a follow, and the reader's own signal that it has caught up: the follower asks isDone only when
 * its files hold nothing new, just before it waits. The second ask after `caughtUp()` is called comes after a
 * read that started after the call, so everything written before the call has been read (and emitted, or held
 * as a partial line). No sleeping, whatever the machine's speed. `waiting()` resolves on the next ask: the
 * follower has found nothing new and is about to wait.
 */
function followControl(): { isDone: () => boolean; caughtUp: () => Promise<void>; waiting: () => Promise<void>; finish: () => void } {
  let done = false;
  let waiters: { asks: number; resolve: () => void }[] = [];
  return {
    isDone: () => {
      for (const w of waiters) if (--w.asks === 0) w.resolve();
      waiters = waiters.filter((w) => w.asks > 0);
      return done;
    },
    caughtUp: () => new Promise<void>((resolve) => waiters.push({ asks: 2, resolve })),
    waiting: () => new Promise<void>((resolve) => waiters.push({ asks: 1, resolve })),
    finish: () => void (done = true),
  };
}

describe('follow', () => {
  const tmp = tempDir();
  after(() => tmp.cleanup());

  it('follows across renaming rotations (old file read to its end first), no line lost or repeated', async () => {
    const path = join(tmp.dir, 'rename.log');
    const lines = 20_000;
    const stats = newStats();
    const writer = startWriter({
      path, mode: 'rename', lines, rotateEvery: 1500, keep: 4, linger: 3, splitEvery: 7,
      gate: { every: 500, lag: 3000 },
    });
    // Started before the file exists: the follower waits for it.
    const stream = await openLog(path, { follow: true, output: 'entries', isDone: writer.done, pollMs: 50, stats });
    const entries = await collect(stream, 60_000, writer.seen);
    assert.equal(await writer.exited, 0);
    assert.deepEqual(sequenceProblems(entries, 'out-', 'stdout', lines), []);
    assert.deepEqual(sequenceProblems(entries, 'err-', 'stderr', Math.floor(lines / 7)), []);
    assert.equal(stats.malformed, 0);
    assert.ok(readdirSync(tmp.dir).filter((n) => n.startsWith('rename.log')).length <= 5);
  });

  it('follows the rotator renaming the file and the writer reopening, no line lost or repeated', async () => {
    const path = join(tmp.dir, 'reopen.log');
    const lines = 20_000;
    const policy = { maxBytes: 64 * 1024, maxFiles: 3 };
    // About 1450 lines per 64 KiB file: a lag of 1000 lines keeps the follower within the two kept rotated files.
    const writer = startWriter({ path, mode: 'reopen', lines, splitEvery: 5, gate: { every: 250, lag: 1000 } });
    // The writer's "FIFO": its IPC channel, open while it runs.
    const reopen = () => (writer.child.connected ? { request: () => void writer.child.send('reopen'), close: () => undefined } : undefined);
    const errors: unknown[] = [];
    const rotator = await new LogRotator(path, reopen, policy, { pollMs: 50, onError: (e) => errors.push(e) }).start();
    let entries: LogEntry[];
    let maxFiles = 0;
    let maxSize = 0;
    // Sampled on a timer, not per entry (directory scans per line would slow the test down for nothing).
    const sampler = setInterval(() => {
      const names = readdirSync(tmp.dir).filter((n) => n.startsWith('reopen.log'));
      maxFiles = Math.max(maxFiles, names.length);
      for (const n of names) maxSize = Math.max(maxSize, statSync(join(tmp.dir, n), { throwIfNoEntry: false })?.size ?? 0);
    }, 5);
    try {
      const stream = await openLog(path, { follow: true, output: 'entries', isDone: writer.done, pollMs: 50 });
      entries = await collect(stream, 60_000, writer.seen);
      assert.equal(await writer.exited, 0);
    } finally {
      clearInterval(sampler);
      await rotator.stop();
    }
    assert.deepEqual(errors, []);
    assert.deepEqual(sequenceProblems(entries, 'out-', 'stdout', lines), []);
    assert.deepEqual(sequenceProblems(entries, 'err-', 'stderr', lines / 5), []);
    assert.ok(rotator.rotations >= 8, `${rotator.rotations} rotations`);
    assert.ok(maxFiles <= policy.maxFiles, `saw ${maxFiles} files`);
    assert.ok(maxSize < 2 * policy.maxBytes, `a file reached ${maxSize} bytes`);
    const names = readdirSync(tmp.dir).filter((n) => n.startsWith('reopen.log')).sort();
    assert.deepEqual(names, ['reopen.log', 'reopen.log.1', 'reopen.log.2']);
    const tail = await readEntries(await openLog(path, { tail: 1000, output: 'entries', streams: ['stdout'] }));
    assert.deepEqual(
      tail.map((e) => e.line),
      Array.from({ length: 1000 }, (_, i) => `out-${lines - 999 + i}`),
    );
  });

  it('follows a live file replaced without a rename (conmon --log-size-max), by creation time', async () => {
    const path = join(tmp.dir, 'replaced.log');
    // An older rotated file exists: the follower must not go back to it when its file disappears.
    writeFileSync(`${path}.1`, rec(0, 'stdout', 'older'));
    writeFileSync(path, rec(1, 'stdout', 'a'));
    const control = followControl();
    const stream = await openLog(path, { follow: true, tail: 1, output: 'entries', isDone: control.isDone, pollMs: 20 });
    const result = collect(stream, 10_000);
    await control.caughtUp();
    appendFileSync(path, rec(2, 'stdout', 'b'));
    writeFileSync(`${path}.tmp`, rec(3, 'stdout', 'c'));
    renameSync(`${path}.tmp`, path);
    await control.caughtUp();
    appendFileSync(path, rec(4, 'stdout', 'd'));
    await control.caughtUp();
    control.finish();
    assert.deepEqual((await result).map((e) => e.line), ['a', 'b', 'c', 'd']);
  });

  it('follows a file truncated in place (copytruncate)', async () => {
    const path = join(tmp.dir, 'truncate.log');
    const lines = 5000;
    const stats = newStats();
    // Before each truncation the writer waits until the follower has read everything: lines written between the
    // follower's last read and a truncation are lost by the nature of copytruncate.
    const writer = startWriter({ path, mode: 'truncate', lines, rotateEvery: 1000, splitEvery: 9 });
    const stream = await openLog(path, { follow: true, output: 'entries', isDone: writer.done, pollMs: 50, stats });
    const entries = await collect(stream, 60_000, writer.seen);
    assert.equal(await writer.exited, 0);
    assert.deepEqual(sequenceProblems(entries, 'out-', 'stdout', lines), []);
    assert.deepEqual(sequenceProblems(entries, 'err-', 'stderr', Math.floor(lines / 9)), []);
    assert.equal(stats.truncations, 4);
  });

  it('starts after a tail and keeps the filters while following', async () => {
    const path = join(tmp.dir, 'tail-then-follow.log');
    writeFileSync(path, rec(0, 'stdout', 'old 1') + rec(1, 'stderr', 'old err') + rec(2, 'stdout', 'old 2'));
    const control = followControl();
    const stream = await openLog(path, { follow: true, tail: 1, output: 'entries', streams: ['stdout'], isDone: control.isDone, pollMs: 20 });
    const result = collect(stream, 10_000);
    await control.caughtUp();
    appendFileSync(path, rec(3, 'stderr', 'new err') + rec(4, 'stdout', 'new ', true));
    await control.caughtUp(); // the partial line has been read: its end must join it from a later read
    appendFileSync(path, rec(5, 'stdout', '1'));
    await control.caughtUp();
    control.finish();
    assert.deepEqual(
      (await result).map((e) => e.line),
      ['old 2', 'new 1'],
    );
  });

  it('drops the rest of a line that started before the tail instead of printing its end', async () => {
    const path = join(tmp.dir, 'tail-zero.log');
    writeFileSync(path, rec(0, 'stdout', 'done') + rec(1, 'stdout', 'half ', true));
    const control = followControl();
    const stream = await openLog(path, { follow: true, tail: 0, output: 'entries', isDone: control.isDone, pollMs: 20 });
    const result = collect(stream, 10_000);
    await control.caughtUp();
    appendFileSync(path, rec(2, 'stdout', 'line') + rec(3, 'stdout', 'next'));
    await control.caughtUp();
    control.finish();
    assert.deepEqual((await result).map((e) => e.line), ['next']);
  });

  it('moves on to the next instance when the container restarts', async () => {
    const dir = join(tmp.dir, 'ctr');
    mkdirSync(dir);
    writeFileSync(instanceLogPath(dir, 0), rec(0, 'stdout', 'first run'));
    const control = followControl();
    const stream = await openContainerLogs(dir, { follow: true, output: 'entries', isDone: control.isDone, pollMs: 20 });
    const result = collect(stream, 10_000);
    await control.caughtUp();
    appendFileSync(instanceLogPath(dir, 0), rec(1, 'stdout', 'last words') + rec(2, 'stdout', 'cut off', true));
    writeFileSync(instanceLogPath(dir, 1), rec(3, 'stdout', 'second run'));
    await control.caughtUp();
    appendFileSync(instanceLogPath(dir, 1), rec(4, 'stdout', 'still second'));
    writeFileSync(instanceLogPath(dir, 1) + '.tmp', ''); // conmon's cut in progress: not a log of its own
    await control.caughtUp();
    control.finish();
    const entries = await result;
    assert.deepEqual(
      entries.map((e) => [e.line, e.partial ?? false]),
      [
        ['first run', false],
        ['last words', false],
        ['cut off', true],
        ['second run', false],
        ['still second', false],
      ],
    );
  });

  it('ends at once when aborted, and the stream ends cleanly', async () => {
    const path = join(tmp.dir, 'abort.log');
    writeFileSync(path, rec(0, 'stdout', 'a'));
    const controller = new AbortController();
    const control = followControl(); // never finished: only the abort ends this follow
    const stream = await openLog(path, { follow: true, output: 'entries', isDone: control.isDone, pollMs: 60_000 }, controller.signal);
    const result = collect(stream, 5_000);
    await control.waiting(); // the follower has read the file and now waits (up to 60 s) for more
    controller.abort();
    assert.deepEqual((await result).map((e) => e.line), ['a']);
  });

  for (const mode of ['reading', 'paused', 'waiting']) {
    it(`leaves no open handle after an abort (${mode})`, () => {
      const dir = join(tmp.dir, `abort-${mode}`);
      mkdirSync(dir);
      const r = spawnSync(process.execPath, ['--import', 'tsx', ABORTER, dir, mode], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.error, undefined, 'the process did not exit by itself');
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, `closed ${mode}\n`);
    });
  }
});
