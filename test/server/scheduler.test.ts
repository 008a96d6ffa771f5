import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LintScheduler, MAX_DEFER_MS } from '../../server/scheduler';

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
/** A clock that stands still, so a loaded machine cannot trip the deferral cap. */
const frozen = () => 0;

describe('lint scheduler', () => {
  it('runs a lone change within two turns', async () => {
    const runs: string[] = [];
    const s = new LintScheduler((uri) => runs.push(uri), frozen);
    s.request('a', 1);
    assert.deepEqual(runs, []);
    await turn();
    await turn();
    assert.deepEqual(runs, ['a']);
  });

  it('lets a change queued right behind the first one join its run', async () => {
    const runs: string[] = [];
    const s = new LintScheduler((uri) => runs.push(uri), frozen);
    s.request('a', 1);
    // The message queue handles the next message in the turn after: the run must not have gone yet.
    await turn();
    s.request('a', 2);
    await turn();
    await turn();
    await turn();
    assert.deepEqual(runs, ['a']);
  });

  it('coalesces changes that arrive while a run waits for its turn', async () => {
    const runs: string[] = [];
    const s = new LintScheduler((uri) => runs.push(uri), frozen);
    s.request('a', 1);
    s.request('a', 2);
    // A newer version arriving between turns (as queued messages do) defers the run by one more turn.
    for (let v = 3; v <= 10; v++) {
      await turn();
      s.request('a', v);
    }
    assert.deepEqual(runs, []);
    await turn();
    await turn();
    assert.deepEqual(runs, ['a']);
  });

  it('keeps documents apart', async () => {
    const runs: string[] = [];
    const s = new LintScheduler((uri) => runs.push(uri), frozen);
    s.request('a', 1);
    s.request('b', 1);
    await turn();
    await turn();
    assert.deepEqual(runs.sort(), ['a', 'b']);
  });

  it('does not starve under an endless stream of changes', async () => {
    let clock = 0;
    let runs = 0;
    const s = new LintScheduler(() => runs++, () => clock);
    let v = 0;
    while (runs === 0 && clock <= MAX_DEFER_MS) {
      s.request('a', ++v);
      await turn();
      clock += 10;
    }
    assert.equal(runs, 1);
    assert.ok(clock <= MAX_DEFER_MS + 10);
  });

  it('drops a cancelled run', async () => {
    const runs: string[] = [];
    const s = new LintScheduler((uri) => runs.push(uri), frozen);
    s.request('a', 1);
    s.cancel('a');
    await turn();
    await turn();
    assert.deepEqual(runs, []);
  });
});
