// "Alive" must hold until a process has really let go of its files. A multi-threaded process whose main thread
// has ended shows as a zombie while its other threads still run and still hold its sockets (QEMU being
// killed): a teardown that took that for gone found QEMU's sockets still bound (a leak the checker saw).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { isAlive, procStat, waitGone } from '../../engine/runtime/processes';

const KOFFI = require.resolve('koffi');

describe('isAlive', () => {
  it('a process whose main thread ended but whose other threads run is alive, until they end', async () => {
    // Node's main thread calls pthread_exit: its libuv and V8 threads live on, idle.
    const child = spawn(process.execPath, ['-e', `require(${JSON.stringify(KOFFI)}).load('libc.so.6').func('void pthread_exit(void *)')(null)`], { stdio: 'ignore' });
    const pid = child.pid!;
    try {
      const deadline = Date.now() + 20_000;
      while (procStat(pid)?.state !== 'Z') {
        assert.ok(Date.now() < deadline, 'the main thread did not end');
        assert.equal(child.exitCode, null, 'the whole process ended');
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.ok(readdirSync(`/proc/${pid}/task`).length > 1, 'other threads run');
      assert.equal(isAlive(pid), true);
      assert.equal(isAlive(pid, procStat(pid)!.startTime), true);
      // Still alive after a wait: the threads do not end by themselves.
      assert.equal(await waitGone(pid, 200), false);
    } finally {
      child.kill('SIGKILL');
    }
    assert.equal(await waitGone(pid, 10_000), true);
    assert.equal(isAlive(pid), false);
  });

  it('a plain zombie is not alive', async () => {
    const child = spawn('sh', ['-c', 'exit 0'], { stdio: 'ignore' });
    await new Promise((r) => child.once('exit', r));
    assert.equal(isAlive(child.pid), false);
  });
});
