// The rotation scheme with the real thing: a busybox container under conmon writes numbered lines as fast as it
// can (dozens of rotations in a few seconds) while the rotator renames and asks conmon to reopen, and a follower
// reads; every line must arrive once, in order, and the kept files stay bounded.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  conmonLogArgs,
  instanceLogPath,
  openContainerLogs,
  conmonReopenChannel,
  startLogRotation,
  type LogEntry,
  type RotationPolicy,
} from '../../engine/logs/index';
import { conmonUnavailable, createContainer, type Container } from './support/conmon-container';
import { readEntries, tempDir } from './support/log-fixtures';
import { sequenceProblems } from './support/sequence';

const skip = conmonUnavailable();

describe('conmon-written logs', { skip }, () => {
  const tmp = tempDir('podsmith-conmon-logs-');
  let container: Container | undefined;
  after(() => {
    container?.cleanup();
    tmp.cleanup();
  });

  it('rotates by size while a follower reads every line once', async () => {
    const LINES = 200_000;
    // Small files for many rotations, three kept. busybox is not flow-controlled: the follower keeps up on a busy
    // machine because it opens newer files as soon as it sees them.
    const policy: RotationPolicy = { maxBytes: 256 * 1024, maxFiles: 3 };
    const logDir = join(tmp.dir, 'logs');
    const path = instanceLogPath(logDir, 0);
    mkdirSync(logDir);
    // Every tenth line also goes to stderr: conmon reads the two pipes separately, so records interleave and
    // lines get split into P records wherever a pipe read ends.
    const script = `i=0; while [ $i -lt ${LINES} ]; do i=$((i+1)); echo $i; [ $((i % 10)) -eq 0 ] && echo e$i >&2; done; true`;
    // The container exists before the rotator can reach its conmon; until then a reopen request is a no-op.
    let bundle = '';
    const errors: unknown[] = [];
    const rotator = await startLogRotation(path, () => (bundle ? conmonReopenChannel(bundle)() : undefined), policy, {
      pollMs: 100,
      onError: (e) => errors.push(e),
    });
    let files = 0;
    const sampler = setInterval(() => {
      // PATH.tmp is conmon's new file for an instant before it becomes the live file.
      files = Math.max(files, readdirSync(logDir).filter((name) => !name.endsWith('.tmp')).length);
    }, 10);
    let entries: LogEntry[] = [];
    try {
      const c = createContainer(join(tmp.dir, 'ctr'), script, conmonLogArgs(path));
      container = c;
      bundle = c.bundle;
      const stream = await openContainerLogs(logDir, { follow: true, output: 'entries', isDone: () => c.finished(), pollMs: 100 });
      const reading = readEntries(stream);
      await c.start();
      entries = await withTimeout(reading, 120_000, 'the follow did not end after the container exited');
      assert.equal(c.exitCode(), 0);
    } finally {
      clearInterval(sampler);
      await rotator.stop();
    }
    const stdout = entries.filter((e) => e.stream === 'stdout').map((e) => ({ ...e, line: `n${e.line}` }));
    const stderr = entries.filter((e) => e.stream === 'stderr').map((e) => ({ ...e, line: `e${Number(e.line.slice(1)) / 10}` }));
    assert.deepEqual(sequenceProblems(stdout, 'n', 'stdout', LINES), []);
    assert.deepEqual(sequenceProblems(stderr, 'e', 'stderr', LINES / 10), []);
    // ~11 MB of records rotated at 256 KiB: about forty rotations, never more than the kept files. A file grows
    // past maxBytes by what conmon writes until the rotator's check: on a starved machine, by megabytes (so
    // fewer rotations; sizes are not asserted).
    assert.deepEqual(errors, []);
    assert.ok(rotator.rotations > policy.maxFiles, `only ${rotator.rotations} rotations`); // so files were deleted
    assert.ok(files <= policy.maxFiles, `saw ${files} files`);
    // Three files; two when the last rotation raced with the exit and stop() put the last file back as 0.log.
    const names = readdirSync(logDir).sort();
    assert.ok(names[0] === '0.log' && names.length <= policy.maxFiles, names.join(' '));
    assert.ok(names.every((n) => /^0\.log(\.[12])?$/.test(n)), names.join(' '));
    // The kept files end with the last lines, readable with tail.
    const tail = await readEntries(await openContainerLogs(logDir, { tail: 3, output: 'entries', streams: ['stdout'] }));
    assert.deepEqual(
      tail.map((e) => e.line),
      [String(LINES - 2), String(LINES - 1), String(LINES)],
    );
  });
});

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]);
}
