// Pseudo-terminals with real programs (busybox sh) on the slave side.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { getWindowSize, openPty, PtyMasterStream, setRawMode, spawnInPty } from '../../native/pty';
import { BUSYBOX, Cleanup } from './support';

const skip = process.platform !== 'linux' || !existsSync(BUSYBOX) ? 'needs Linux and busybox' : undefined;

/** Collects a terminal's output until it closes; rejects if that takes longer than `ms`. */
function collect(terminal: PtyMasterStream, ms = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`terminal did not close; output so far: ${JSON.stringify(out)}`)), ms);
    terminal.on('data', (d: Buffer) => (out += d.toString()));
    terminal.on('error', reject);
    terminal.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** Waits until the accumulated output of `terminal` matches `re`. */
function waitForOutput(terminal: PtyMasterStream, re: RegExp, ms = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no ${re} in ${JSON.stringify(out)}`)), ms);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (re.test(out)) {
        clearTimeout(timer);
        terminal.off('data', onData);
        resolve(out);
      }
    };
    terminal.on('data', onData);
  });
}

/** Kills the child if still running and destroys the terminal: every test registers this. */
function cleanupProcess(c: Cleanup, child: ChildProcess, terminal: PtyMasterStream): void {
  c.add(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited(child);
    }
    terminal.destroy();
  });
}

function fdFlags(fd: number): number {
  const m = /^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
  return parseInt(m?.[1] ?? '0', 8);
}

test('openPty returns a close-on-exec pair with the requested window size', { skip }, () => {
  const pair = openPty({ cols: 120, rows: 40 });
  try {
    assert.match(pair.slavePath, /^\/dev\/pts\/\d+$/);
    assert.deepEqual(getWindowSize(pair.slave), { cols: 120, rows: 40, widthPx: 0, heightPx: 0 });
    const O_CLOEXEC = 0o2000000;
    assert.ok(fdFlags(pair.master) & O_CLOEXEC, 'master is close-on-exec');
    assert.ok(fdFlags(pair.slave) & O_CLOEXEC, 'slave is close-on-exec');
  } finally {
    closeSync(pair.master);
    closeSync(pair.slave);
  }
});

test('a child on the pty sees a terminal of the set size, and reading ends cleanly at its exit', { skip }, async (t) => {
  const c = new Cleanup();
  t.after(() => c.run());
  const { child, terminal, slavePath } = spawnInPty(BUSYBOX, ['sh', '-c', 'stty size; tty; echo $((1+2))'], { size: { cols: 100, rows: 30 } });
  cleanupProcess(c, child, terminal);
  const [out, exit] = await Promise.all([collect(terminal), exited(child)]);
  assert.deepEqual(exit, { code: 0, signal: null });
  assert.equal(out, `30 100\r\n${slavePath}\r\n3\r\n`);
  assert.ok(terminal.destroyed, 'the stream closed itself after EIO');
  assert.throws(() => terminal.fd, /closed/);
});

test('a resize reaches the child as SIGWINCH with the new size', { skip }, async (t) => {
  const c = new Cleanup();
  t.after(() => c.run());
  const script = `trap 'echo "winch $(stty size)"; exit 0' WINCH; echo ready; while :; do sleep 0.05; done`;
  const { child, terminal } = spawnInPty(BUSYBOX, ['sh', '-c', script], { size: { cols: 80, rows: 24 } });
  cleanupProcess(c, child, terminal);
  await waitForOutput(terminal, /ready/);
  const rest = collect(terminal);
  terminal.resize({ cols: 132, rows: 43 });
  assert.deepEqual(terminal.windowSize(), { cols: 132, rows: 43, widthPx: 0, heightPx: 0 });
  assert.match(await rest, /winch 43 132/);
  assert.deepEqual(await exited(child), { code: 0, signal: null });
});

test('output written just before exit is read in full before the end', { skip }, async (t) => {
  const c = new Cleanup();
  t.after(() => c.run());
  const { child, terminal } = spawnInPty(BUSYBOX, ['sh', '-c', 'i=0; while [ $i -lt 5000 ]; do i=$((i+1)); echo "line $i"; done']);
  cleanupProcess(c, child, terminal);
  const lines = (await collect(terminal)).split('\r\n').filter(Boolean);
  assert.equal(lines.length, 5000);
  assert.equal(lines[4999], 'line 5000');
});

test('input written to the terminal reaches the child (cooked mode echoes it)', { skip }, async (t) => {
  const c = new Cleanup();
  t.after(() => c.run());
  const { child, terminal } = spawnInPty(BUSYBOX, ['sh', '-c', 'echo ready; read line; echo "got:$line"']);
  cleanupProcess(c, child, terminal);
  await waitForOutput(terminal, /ready/);
  const rest = collect(terminal);
  terminal.write('hello\n');
  const out = await rest;
  assert.match(out, /hello\r\n/, 'the line discipline echoed the input');
  assert.match(out, /got:hello\r\n/);
});

test('setRawMode on the master turns off echo, line editing and output translation', { skip }, async (t) => {
  const c = new Cleanup();
  t.after(() => c.run());
  const pair = openPty({ cols: 80, rows: 24 });
  setRawMode(pair.master);
  const child = spawn(BUSYBOX, ['stty', '-a'], { stdio: [pair.slave, pair.slave, pair.slave] });
  closeSync(pair.slave);
  const terminal = new PtyMasterStream(pair.master);
  cleanupProcess(c, child, terminal);
  const out = await collect(terminal);
  assert.match(out, /-icanon/);
  assert.match(out, /-echo\b/);
  // ONLCR too: a child that turns OPOST back on (runc's SetRaw) must still not translate.
  assert.match(out, /-onlcr\b/);
  assert.doesNotMatch(out, /\r\n/, 'raw mode: no \\n to \\r\\n translation');
});

test('destroying the terminal early hangs up the session', { skip }, async (t) => {
  const c = new Cleanup();
  t.after(() => c.run());
  const { child, terminal } = spawnInPty(BUSYBOX, ['sh', '-c', 'echo ready; sleep 30']);
  cleanupProcess(c, child, terminal);
  await waitForOutput(terminal, /ready/);
  terminal.destroy();
  let timer: NodeJS.Timeout | undefined;
  const exit = await Promise.race([exited(child), new Promise((r) => (timer = setTimeout(() => r('still running'), 5000)))]);
  clearTimeout(timer);
  assert.deepEqual(exit, { code: null, signal: 'SIGHUP' });
});

test('writing to a child that never reads does not block the event loop', { skip }, async (t) => {
  const c = new Cleanup();
  t.after(() => c.run());
  const { child, terminal } = spawnInPty(BUSYBOX, ['sh', '-c', 'echo ready; sleep 30']);
  cleanupProcess(c, child, terminal);
  await waitForOutput(terminal, /ready/);
  terminal.resume(); // keep draining output (the echo of what we type)
  let written = false;
  terminal.write(Buffer.alloc(1 << 20, 'x'), () => (written = true));
  // A blocking write would never return (the child never reads): reaching the next line, and a timer firing,
  // show the event loop runs. The 50 ms are deliberate: time for the write to finish if it could, which it
  // must not (the pty input queue holds a few KiB).
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(written, false, 'the 1 MiB write is still pending: the pty input queue is full');
});

test('a large write completes once the child reads it, 8-bit clean in raw mode', { skip }, async (t) => {
  const c = new Cleanup();
  t.after(() => c.run());
  const { child, terminal } = spawnInPty(BUSYBOX, ['sh', '-c', 'head -c 1048576 | wc -c']);
  cleanupProcess(c, child, terminal);
  // Termios applies when input is written, not when it is read, so raw mode set now covers all of it.
  setRawMode(terminal.fd);
  const data = Buffer.alloc(1 << 20);
  for (let i = 0; i < data.length; i++) data[i] = i % 256;
  const written = new Promise<void>((resolve, reject) => terminal.write(data, (err) => (err ? reject(err) : resolve())));
  const out = collect(terminal, 20_000);
  await written;
  assert.match(await out, /^\s*1048576\n$/);
  assert.deepEqual(await exited(child), { code: 0, signal: null });
});
