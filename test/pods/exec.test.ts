// exec and logs: a command's streams and exit code (pipes, stdin, a pty from native/), and the container's
// CRI log read back through engine/logs (tail, timestamps, previous instance).
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { PodError } from '../../engine/pods/types';
import { container, IMAGE, podManifest, podTestEnv, text, until, whyNoNativePods, type PodTestEnv } from './fixtures';

const skip = whyNoNativePods();

describe('exec and logs', { skip }, () => {
  let env: PodTestEnv;
  before(async () => {
    env = await podTestEnv();
    await env.runtime.runPod({
      manifest: podManifest('shell', {
        terminationGracePeriodSeconds: 1,
        containers: [
          { name: 'main', image: IMAGE, env: [{ name: 'MARK', value: 'main' }], command: ['sh', '-c', 'for i in 1 2 3 4 5; do echo line-$i; done; echo oops >&2; exec sleep 1000'] },
          { name: 'other', image: IMAGE, command: ['sleep', '1000'] },
        ],
      }),
    });
  });
  afterEach(async () => {
    // The shared pod stays for the whole file; only leaks of other pods would show here.
    assert.deepEqual((await env.runtime.listPods()).map((p) => p.name), ['shell']);
  });
  after(async () => {
    if (env) {
      await env.runtime.deletePod({ pod: 'shell' });
      assert.deepEqual(await env.cleanup(), []);
      await env.dispose();
    }
  });

  it('returns the exit code and separate stdout and stderr', async () => {
    const ex = await env.runtime.exec({ pod: 'shell', container: 'other', command: ['sh', '-c', 'echo out; echo err >&2; exit 5'], tty: false, stdin: false });
    const [out, err, code] = await Promise.all([text(ex.stdout), text(ex.stderr), ex.exit]);
    assert.equal(out, 'out\n');
    assert.equal(err, 'err\n');
    assert.equal(code, 5);
  });

  it('feeds stdin and defaults to the first app container', async () => {
    const ex = await env.runtime.exec({ pod: 'shell', command: ['sh', '-c', 'tr a-z A-Z; echo "in $MARK"'], tty: false, stdin: true });
    ex.stdin!.end('hello\n');
    const [out, code] = await Promise.all([text(ex.stdout), ex.exit]);
    assert.equal(code, 0);
    assert.equal(out, 'HELLO\nin main\n');
  });

  it('reports a missing command as exit code 127 or a runtime error, never a hang', async () => {
    const ex = await env.runtime.exec({ pod: 'shell', command: ['no-such-command'], tty: false, stdin: false });
    const [, err, code] = await Promise.all([text(ex.stdout), text(ex.stderr), ex.exit]);
    assert.notEqual(code, 0);
    assert.match(err, /executable file not found|not found/);
  });

  it('runs with a terminal when asked (native pty)', async (t) => {
    let native: typeof import('../../native');
    try {
      native = await import('../../native');
      native.openPty({ cols: 10, rows: 10 });
    } catch (err) {
      return t.skip(`no native pty here: ${(err as Error).message}`);
    }
    // runc sizes the container's terminal from ours just after the command starts (a race inside runc): the
    // command waits for the size to arrive rather than reading 0 0.
    const script = 'for i in $(seq 100); do s=$(stty size 2>/dev/null); [ -n "$s" ] && [ "$s" != "0 0" ] && break; sleep 0.05; done; echo "$s"; tty; exit 3';
    const ex = await env.runtime.exec({ pod: 'shell', command: ['sh', '-c', script], tty: true, stdin: false, size: { columns: 100, rows: 30 } });
    const [out, code] = await Promise.all([text(ex.stdout), ex.exit]);
    assert.equal(code, 3);
    assert.match(out, /30 100/);
    assert.match(out, /\/dev\/pts\/\d+/);
  });

  it('a terminal exec ends every line with \\r\\n, however quickly the command writes', async () => {
    // runc clears ONLCR on the container's terminal only once it holds it: a command that prints at once could
    // come out as \r\r\n (2 in 40 runs before the fix). Many quick runs, each must read the same.
    for (let i = 0; i < 25; i++) {
      const ex = await env.runtime.exec({ pod: 'shell', command: ['sh', '-c', 'tty; echo two'], tty: true, stdin: false });
      const [out, code] = await Promise.all([text(ex.stdout), ex.exit]);
      assert.equal(code, 0);
      assert.match(out, /^\/dev\/pts\/\d+\r\ntwo\r\n$/, `run ${i}: ${JSON.stringify(out)}`);
    }
  });

  it('refuses exec into an unknown container or pod', async () => {
    await assert.rejects(env.runtime.exec({ pod: 'shell', container: 'nope', command: ['true'], tty: false, stdin: false }), (e: PodError) => e.code === 'NOT_FOUND');
    await assert.rejects(env.runtime.exec({ pod: 'ghost', command: ['true'], tty: false, stdin: false }), (e: PodError) => e.code === 'NOT_FOUND');
  });

  it('reads the container log with tail and timestamps', async () => {
    const all = await until('the log lines', async () => {
      const s = await text(await env.runtime.logs({ pod: 'shell' }));
      return s.includes('oops') ? s : undefined;
    });
    assert.equal(all, 'line-1\nline-2\nline-3\nline-4\nline-5\noops\n');
    assert.equal(await text(await env.runtime.logs({ pod: 'shell', tail: 2 })), 'line-5\noops\n');
    const stamped = await text(await env.runtime.logs({ pod: 'shell', tail: 1, timestamps: true }));
    assert.match(stamped, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+(Z|[+-]\d\d:\d\d) oops\n$/);
    await assert.rejects(env.runtime.logs({ pod: 'shell', previous: true }), (e: PodError) => e.code === 'NOT_FOUND');
    const status = await env.runtime.podStatus('shell');
    assert.ok(container(status, 'main').state.running);
  });

  it('follows a log until aborted', async () => {
    const controller = new AbortController();
    const stream = await env.runtime.logs({ pod: 'shell', container: 'other', follow: true }, controller.signal);
    const got: string[] = [];
    const reading = (async () => {
      for await (const chunk of stream) got.push(String(chunk));
    })().catch(() => undefined);
    // Write into the "other" container's log through its pid 1's stdout.
    const ex = await env.runtime.exec({ pod: 'shell', container: 'other', command: ['sh', '-c', 'echo followed > /proc/1/fd/1'], tty: false, stdin: false });
    assert.equal(await ex.exit, 0);
    await until('the followed line', () => got.join('').includes('followed\n'));
    controller.abort();
    await reading;
  });
});
