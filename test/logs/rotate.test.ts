import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, constants, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { conmonLogArgs, conmonReopenChannel, LogRotator, type ReopenChannel } from '../../engine/logs/index';
import { tempDir } from './support/log-fixtures';
import { within } from '../support/wait';

/** A writer that reopens like conmon: a new, empty PATH on request. `requested` resolves on the first request. */
function fakeWriter(path: string): { requests: number; open: () => ReopenChannel | undefined; gone: boolean; requested: Promise<void> } {
  let first: () => void = () => undefined;
  const w = {
    requests: 0,
    gone: false,
    requested: new Promise<void>((resolve) => (first = resolve)),
    open: (): ReopenChannel | undefined =>
      w.gone
        ? undefined
        : {
            request: () => {
              w.requests++;
              writeFileSync(path, '');
              first();
            },
            close: () => undefined,
          },
  };
  return w;
}

const files = (dir: string) => readdirSync(dir).sort();

describe('LogRotator', () => {
  const tmp = tempDir();
  after(() => tmp.cleanup());
  let n = 0;
  const fresh = () => {
    const dir = join(tmp.dir, `case-${++n}`);
    mkdirSync(dir);
    return { dir, path: join(dir, '0.log') };
  };

  it('rotates when the live file reaches maxBytes, keeping maxFiles files, oldest deleted', () => {
    const { dir, path } = fresh();
    const writer = fakeWriter(path);
    const rotator = new LogRotator(path, writer.open, { maxBytes: 10, maxFiles: 3 });
    writeFileSync(path, 'short');
    rotator.check();
    assert.deepEqual(files(dir), ['0.log']);
    for (const content of ['first file', 'second file', 'third file', 'fourth file']) {
      writeFileSync(path, content);
      rotator.check();
    }
    assert.equal(rotator.rotations, 4);
    assert.equal(writer.requests, 4);
    assert.deepEqual(files(dir), ['0.log', '0.log.1', '0.log.2']);
    assert.equal(readFileSync(`${path}.1`, 'utf8'), 'fourth file');
    assert.equal(readFileSync(`${path}.2`, 'utf8'), 'third file');
  });

  it('keeps only the live file with maxFiles 1', () => {
    const { dir, path } = fresh();
    const rotator = new LogRotator(path, fakeWriter(path).open, { maxBytes: 4, maxFiles: 1 });
    writeFileSync(path, 'too long');
    rotator.check();
    assert.deepEqual(files(dir), ['0.log']);
    assert.equal(readFileSync(path, 'utf8'), '');
  });

  it('leaves the log of a writer that has gone whole and in place', () => {
    const { dir, path } = fresh();
    const writer = fakeWriter(path);
    writer.gone = true;
    const rotator = new LogRotator(path, writer.open, { maxBytes: 4, maxFiles: 3 });
    writeFileSync(path, 'final words');
    writeFileSync(`${path}.1`, 'older');
    rotator.check();
    rotator.check();
    assert.deepEqual(files(dir), ['0.log', '0.log.1']);
    assert.equal(readFileSync(path, 'utf8'), 'final words');
  });

  it('puts the file back when the writer vanishes between opening the channel and the request', () => {
    const { dir, path } = fresh();
    const open = (): ReopenChannel => ({
      request: () => {
        throw Object.assign(new Error('EPIPE'), { code: 'EPIPE' });
      },
      close: () => undefined,
    });
    const rotator = new LogRotator(path, open, { maxBytes: 4, maxFiles: 3 });
    writeFileSync(path, 'last file');
    assert.throws(() => rotator.check(), /EPIPE/);
    assert.ok(existsSync(path));
    assert.equal(readFileSync(path, 'utf8'), 'last file');
    assert.deepEqual(files(dir), ['0.log']);
  });

  it('asks again for a reopen lost in a crash, but never twice in a row', async () => {
    const { dir, path } = fresh();
    // A daemon died after renaming: no live file, conmon still writing to 0.log.1.
    writeFileSync(`${path}.1`, 'renamed');
    const requests: number[] = [];
    const open = (): ReopenChannel => ({ request: () => requests.push(Date.now()), close: () => undefined });
    const rotator = await new LogRotator(path, open, { maxBytes: 4, maxFiles: 3 }, { pollMs: 10 }).start();
    assert.equal(requests.length, 1);
    // Conmon has not answered yet: more checks must not ask again (a second reopen deletes the first new file).
    // The 100 ms are deliberate: about ten of the rotator's own 10 ms checks, none of which may ask.
    await new Promise((r) => setTimeout(r, 100));
    rotator.check();
    await rotator.stop();
    assert.equal(requests.length, 1);
    assert.deepEqual(files(dir), ['0.log.1']);
  });

  it('puts the last file back on stop when the writer exited before reopening', async () => {
    const { dir, path } = fresh();
    let alive = true;
    // This writer takes the request but never reopens (it exits first).
    const open = (): ReopenChannel | undefined => (alive ? { request: () => undefined, close: () => undefined } : undefined);
    const rotator = await new LogRotator(path, open, { maxBytes: 4, maxFiles: 3 }, { pollMs: 60_000 }).start();
    writeFileSync(`${path}.1`, 'older');
    writeFileSync(path, 'last words');
    rotator.check();
    assert.deepEqual(files(dir), ['0.log.1', '0.log.2']);
    alive = false;
    await rotator.stop();
    assert.deepEqual(files(dir), ['0.log', '0.log.1']);
    assert.equal(readFileSync(path, 'utf8'), 'last words');
    assert.equal(readFileSync(`${path}.1`, 'utf8'), 'older');
  });

  it('does nothing before the writer has created its log', () => {
    const { dir, path } = fresh();
    let asked = 0;
    const rotator = new LogRotator(path, () => ({ request: () => asked++, close: () => undefined }), { maxBytes: 4, maxFiles: 3 });
    rotator.check();
    assert.equal(asked, 0);
    assert.deepEqual(files(dir), []);
  });

  it('rotates on its own as the file grows (fs.watch), and stops cleanly', async () => {
    const { dir, path } = fresh();
    writeFileSync(path, '');
    const writer = fakeWriter(path);
    const rotator = await new LogRotator(path, writer.open, { maxBytes: 100, maxFiles: 3 }, { pollMs: 60_000 }).start();
    writeFileSync(path, 'x'.repeat(150));
    // fs.watch woke the rotator (its polling is once a minute): it renamed the file and asked for a reopen.
    await within(writer.requested, 'the rotation');
    await rotator.stop();
    assert.equal(rotator.rotations, 1);
    assert.deepEqual(files(dir), ['0.log', '0.log.1']);
  });

  it('rejects a policy that keeps nothing', () => {
    assert.throws(() => new LogRotator('/x/0.log', () => undefined, { maxBytes: 10, maxFiles: 0 }), RangeError);
    assert.throws(() => new LogRotator('/x/0.log', () => undefined, { maxBytes: 0, maxFiles: 2 }), RangeError);
  });
});

describe('conmon reopen channel', () => {
  const tmp = tempDir();
  after(() => tmp.cleanup());

  it('is absent without a FIFO or without a conmon reading it, and writes the reopen message', () => {
    assert.equal(conmonReopenChannel(join(tmp.dir, 'none'))(), undefined);
    const fifo = join(tmp.dir, 'ctl');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    assert.equal(conmonReopenChannel(tmp.dir)(), undefined); // nobody reads it: ENXIO, not a blocked open
    // A reader (as conmon holds one, opened without blocking): the message arrives.
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const channel = conmonReopenChannel(tmp.dir)();
      assert.ok(channel);
      channel.request();
      channel.close();
      const buf = Buffer.alloc(64);
      const n = readSync(reader, buf, 0, buf.length, null);
      assert.equal(buf.toString('utf8', 0, n), '2 0 0\n');
    } finally {
      closeSync(reader);
    }
  });

  it('gives conmon the k8s-file log path and nothing that cuts the log', () => {
    assert.deepEqual(conmonLogArgs('/l/0.log'), ['-l', 'k8s-file:/l/0.log']);
  });
});
