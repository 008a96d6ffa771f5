// A full disk is one fault whoever meets it: our own write (ENOSPC) or a tool that says so in its words.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { toPodError } from '../../engine/pods/native/pod-errors';
import { PodError } from '../../engine/pods/types';

const ADVICE = /the disk is full \(.*\): free some space .*podsmith prune/;

describe('pod errors: a full disk', () => {
  it('our own ENOSPC names the file written', () => {
    const err = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', path: '/h/pods/x/config.json' });
    const e = toPodError(err, 'web');
    assert.match(e.message, ADVICE);
    assert.match(e.message, /^container "web": the disk is full \(writing \/h\/pods\/x\/config.json\)/);
    assert.equal(e.code, 'RUNTIME');
  });

  it("a tool's own words for it (pasta, runc) get the same advice, keeping those words", () => {
    const pasta = new Error('pasta failed to attach to the pod\'s network namespace: Couldn\'t write to log file; : No space left on device');
    const e = toPodError(pasta, 'POD');
    assert.match(e.message, ADVICE);
    assert.match(e.message, /Couldn't write to log file/);
    assert.equal(e.details?.container, 'POD');
    // Already a PodError naming the container: still turned into the disk-full advice, named once.
    const wrapped = toPodError(new PodError('container "c": runc create: write /x: no space left on device', 'START_FAILED', { container: 'c' }));
    assert.match(wrapped.message, /^container "c": the disk is full \(runc create: write \/x: no space left on device\)/);
    // And advice is not given twice.
    assert.equal(toPodError(wrapped, 'c'), wrapped);
  });

  it('other errors keep their words and are not called a full disk', () => {
    const e = toPodError(new Error('exec: "nope": executable file not found in $PATH'), 'c');
    assert.doesNotMatch(e.message, /disk is full/);
    assert.match(e.message, /^container "c": exec/);
  });
});
