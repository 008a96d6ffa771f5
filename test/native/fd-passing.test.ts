// SCM_RIGHTS descriptor passing: pure Node (our own sendmsg over a socketpair) and with real runc
// (--console-socket hands over the container's pty master).
import assert from 'node:assert/strict';
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConsoleSocket, receiveWithFds, sendWithFds } from '../../native/fd-passing';
import { openPty, PtyMasterStream } from '../../native/pty';
import { connectUnix, UnixListener, unixSocketPair } from '../../native/unix-socket';
import { Cleanup, containerSkipReason, deleteContainerOnCleanup, leftoverCgroups, RUNC, runOk, tempDir, uniqueId, writeBusyboxBundle } from './support';

const linuxOnly = process.platform !== 'linux' ? 'Linux only' : undefined;

function fdFlags(fd: number): number {
  const m = /^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
  return parseInt(m?.[1] ?? '0', 8);
}

test('a descriptor sent over a socketpair arrives as a working close-on-exec duplicate', { skip: linuxOnly }, async (t) => {
  const c = new Cleanup();
  t.after(() => c.run());
  const dir = tempDir(c);
  const [a, b] = unixSocketPair('stream');
  c.add(() => (a.close(), b.close()));
  const file = join(dir, 'shared.txt');
  const fd = openSync(file, 'w');
  c.add(() => closeSync(fd));

  await sendWithFds(a, Buffer.from('take this'), [fd]);
  const msg = await receiveWithFds(b);
  assert.ok(msg);
  assert.equal(msg.data.toString(), 'take this');
  assert.equal(msg.fds.length, 1);
  const received = msg.fds[0];
  c.add(() => closeSync(received));
  assert.notEqual(received, fd);
  assert.ok(fdFlags(received) & 0o2000000, 'received fd is close-on-exec');
  assert.equal(fstatSync(received).ino, fstatSync(fd).ino, 'same file');
  writeSync(received, 'written through the received fd');
  assert.equal(readFileSync(file, 'utf8'), 'written through the received fd');
});

test('several descriptors in one message, plain data, and end of stream', { skip: linuxOnly }, async (t) => {
  const c = new Cleanup();
  t.after(() => c.run());
  const dir = tempDir(c);
  const [a, b] = unixSocketPair('stream');
  c.add(() => (a.close(), b.close()));
  const files = ['one', 'two', 'three'].map((name) => {
    writeFileSync(join(dir, name), name);
    const fd = openSync(join(dir, name), 'r');
    c.add(() => closeSync(fd));
    return fd;
  });

  await sendWithFds(a, Buffer.from('x'), files);
  const msg = await receiveWithFds(b);
  assert.ok(msg);
  for (const fd of msg.fds) c.add(() => closeSync(fd));
  const contents = msg.fds.map((fd) => {
    const buf = Buffer.alloc(16);
    return buf.subarray(0, readSync(fd, buf, 0, 16, 0)).toString();
  });
  assert.deepEqual(contents, ['one', 'two', 'three']);

  await sendWithFds(a, Buffer.from('no fds'), []);
  assert.deepEqual(await receiveWithFds(b), { data: Buffer.from('no fds'), fds: [] });

  a.close();
  assert.equal(await receiveWithFds(b), null, 'peer closed');
  await assert.rejects(sendWithFds(b, Buffer.alloc(0), [files[0]]), RangeError);
});

test('ConsoleSocket receives a pty master from a pure-Node sender', { skip: linuxOnly }, async (t) => {
  const c = new Cleanup();
  t.after(() => c.run());
  const dir = tempDir(c);
  const sock = ConsoleSocket.listen(join(dir, 'console.sock'));
  c.add(() => sock.close());
  const pair = openPty({ cols: 50, rows: 10 });
  c.add(() => (closeSync(pair.master), closeSync(pair.slave)));

  const received = sock.receive({ timeoutMs: 5000 });
  const sender = await connectUnix(sock.path, 'stream');
  c.add(() => sender.close());
  await sendWithFds(sender, Buffer.from('/dev/ptmx'), [pair.master]);
  const master = await received;
  assert.equal(master.name, '/dev/ptmx');

  const terminal = new PtyMasterStream(master.fd);
  c.add(() => void terminal.destroy());
  assert.deepEqual(terminal.windowSize(), { cols: 50, rows: 10, widthPx: 0, heightPx: 0 });
  writeSync(pair.slave, 'from the slave\n');
  const chunk: Buffer = await new Promise((resolve) => terminal.once('data', resolve));
  assert.equal(chunk.toString(), 'from the slave\r\n');
});

test('ConsoleSocket times out, and close() removes the socket file', { skip: linuxOnly }, async (t) => {
  const c = new Cleanup();
  t.after(() => c.run());
  const dir = tempDir(c);
  const sock = ConsoleSocket.listen(join(dir, 'console.sock'));
  assert.ok(existsSync(sock.path));
  await assert.rejects(sock.receive({ timeoutMs: 50 }), { name: 'TimeoutError' });
  const pending = sock.receive();
  sock.close();
  await assert.rejects(pending, { name: 'FdClosedError' });
  assert.equal(existsSync(sock.path), false);
});

test('a unix socket path longer than sun_path still binds and connects', { skip: linuxOnly }, async (t) => {
  const c = new Cleanup();
  t.after(() => c.run());
  const deep = join(tempDir(c), 'd'.repeat(60), 'e'.repeat(60));
  mkdirSync(deep, { recursive: true });
  const path = join(deep, 'long.sock');
  assert.ok(Buffer.byteLength(path) > 108);
  const listener = UnixListener.listen(path, 'stream');
  c.add(() => listener.close());
  const accepted = listener.accept();
  const client = await connectUnix(path, 'stream');
  c.add(() => client.close());
  const server = await accepted;
  c.add(() => server.close());
  await sendWithFds(client, Buffer.from('over a long path'), []);
  assert.equal((await receiveWithFds(server))?.data.toString(), 'over a long path');
});

const containerSkip = containerSkipReason();

test('runc --console-socket: receive the container pty master, size it, read the output', { skip: containerSkip }, async (t) => {
  const c = new Cleanup();
  t.after(() => c.run());
  const dir = tempDir(c);
  const id = uniqueId('psn-console');
  const root = join(dir, 'runc-root');
  const bundle = join(dir, 'bundle');
  const cgroupsPath = `/${id}`;
  c.add(() => assert.deepEqual(leftoverCgroups(cgroupsPath), [], 'runc delete removed the container cgroups'));
  writeBusyboxBundle(bundle, { args: ['sh', '-c', 'stty size; tty; echo hi'], terminal: true, cgroupsPath });
  const consoleSocket = ConsoleSocket.listen(join(dir, 'console.sock'));
  c.add(() => consoleSocket.close());
  const received = consoleSocket.receive({ timeoutMs: 15_000 });
  received.catch(() => undefined); // if runc fails first, cleanup's close() rejects this; the runc error is the one to report
  deleteContainerOnCleanup(c, root, id);

  // create (not run): the process waits for `start`, so the size is set before it runs `stty size`.
  await runOk(RUNC, ['--root', root, 'create', '--bundle', bundle, '--console-socket', consoleSocket.path, id]);
  const master = await received;
  assert.equal(master.name, '/dev/ptmx');
  const terminal = new PtyMasterStream(master.fd);
  c.add(() => void terminal.destroy());
  terminal.resize({ cols: 91, rows: 17 });
  let out = '';
  terminal.on('data', (d: Buffer) => (out += d.toString()));
  const closed = new Promise((resolve) => terminal.on('close', resolve));

  await runOk(RUNC, ['--root', root, 'start', id]);
  await closed;
  assert.equal(out, '17 91\r\n/dev/pts/0\r\nhi\r\n');
  const state = JSON.parse(await runOk(RUNC, ['--root', root, 'state', id])) as { status: string };
  assert.equal(state.status, 'stopped');
});

test('runc exec -t --console-socket into a running container', { skip: containerSkip }, async (t) => {
  const c = new Cleanup();
  t.after(() => c.run());
  const dir = tempDir(c);
  const id = uniqueId('psn-exec');
  const root = join(dir, 'runc-root');
  const bundle = join(dir, 'bundle');
  const cgroupsPath = `/${id}`;
  c.add(() => assert.deepEqual(leftoverCgroups(cgroupsPath), [], 'runc delete removed the container cgroups'));
  writeBusyboxBundle(bundle, { args: ['sleep', '60'], terminal: false, cgroupsPath });
  deleteContainerOnCleanup(c, root, id);
  await runOk(RUNC, ['--root', root, 'create', '--bundle', bundle, id], undefined, true);
  await runOk(RUNC, ['--root', root, 'start', id]);

  const consoleSocket = ConsoleSocket.listen(join(dir, 'exec.sock'));
  c.add(() => consoleSocket.close());
  const received = consoleSocket.receive({ timeoutMs: 15_000 });
  received.catch(() => undefined);
  // --detach: runc hands over the terminal and returns; the process waits for a line, so the size is set first.
  const script = 'read line; stty size; echo "exec:$line"';
  await runOk(RUNC, ['--root', root, 'exec', '--tty', '--detach', '--console-socket', consoleSocket.path, id, 'sh', '-c', script]);
  const terminal = new PtyMasterStream((await received).fd);
  c.add(() => void terminal.destroy());
  terminal.resize({ cols: 70, rows: 21 });
  let out = '';
  terminal.on('data', (d: Buffer) => (out += d.toString()));
  const closed = new Promise((resolve) => terminal.on('close', resolve));
  terminal.write('go\n');
  await closed;
  assert.equal(out, 'go\r\n21 70\r\nexec:go\r\n');
});
