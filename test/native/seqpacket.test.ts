// SOCK_SEQPACKET: message boundaries, end of stream, cancellation, ordering under backpressure, and the real
// conmon attach socket (which also pins down conmon's stream ids).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConmonAttach, conmonAttachPath, parseAttachFrame } from '../../native/conmon-attach';
import { SeqpacketSocket } from '../../native/seqpacket';
import { UnixListener } from '../../native/unix-socket';
import {
  alive,
  Cleanup,
  CONMON,
  containerSkipReason,
  deleteContainerOnCleanup,
  leftoverCgroups,
  readPid,
  RUNC,
  runOk,
  tempDir,
  uniqueId,
  waitFor,
  writeBusyboxBundle,
} from './support';

const linuxOnly = process.platform !== 'linux' ? 'Linux only' : undefined;

test('each send arrives as one whole message, whatever its size', { skip: linuxOnly }, async (t) => {
  const c = new Cleanup();
  t.after(() => c.run());
  const [a, b] = SeqpacketSocket.pair();
  c.add(() => (a.close(), b.close()));
  const sizes = [1, 7, 4096, 65_536, 3];
  for (const n of sizes) await a.send(Buffer.alloc(n, n % 251));
  for (const n of sizes) {
    const m = await b.receive();
    assert.ok(m);
    assert.equal(m.length, n, 'boundaries preserved, nothing merged or split');
    assert.equal(m[0], n % 251);
  }
});

test('receive returns null once the peer closes; close() and abort end pending receives', { skip: linuxOnly }, async (t) => {
  const c = new Cleanup();
  t.after(() => c.run());
  const [a, b] = SeqpacketSocket.pair();
  c.add(() => (a.close(), b.close()));
  await a.send(Buffer.from('last words'));
  a.close();
  assert.equal((await b.receive())?.toString(), 'last words');
  assert.equal(await b.receive(), null);

  const [x, y] = SeqpacketSocket.pair();
  c.add(() => (x.close(), y.close()));
  const ac = new AbortController();
  const aborted = y.receive(ac.signal);
  ac.abort();
  await assert.rejects(aborted, { name: 'AbortError' });
  const pending = y.receive();
  y.close();
  await assert.rejects(pending, { name: 'FdClosedError' });
});

test('sends that wait for buffer space keep their order', { skip: linuxOnly }, async (t) => {
  const c = new Cleanup();
  t.after(() => c.run());
  const [a, b] = SeqpacketSocket.pair();
  c.add(() => (a.close(), b.close()));
  const count = 400; // 400 x 8 KiB is far more than a socket buffer holds: most sends must wait
  const sends = Array.from({ length: count }, (_, i) => {
    const m = Buffer.alloc(8192);
    m.writeUInt32BE(i);
    return a.send(m);
  });
  for (let i = 0; i < count; i++) assert.equal((await b.receive())?.readUInt32BE(0), i);
  await Promise.all(sends);
});

test('connect to a listening seqpacket socket by path', { skip: linuxOnly }, async (t) => {
  const c = new Cleanup();
  t.after(() => c.run());
  const listener = UnixListener.listen(join(tempDir(c), 'sp.sock'), 'seqpacket');
  c.add(() => listener.close());
  const accepted = listener.accept();
  const client = await SeqpacketSocket.connect(listener.path);
  c.add(() => client.close());
  const server = SeqpacketSocket.fromFd((await accepted).release());
  c.add(() => server.close());
  await client.send(Buffer.from('ping'));
  assert.equal((await server.receive())?.toString(), 'ping');
  await server.send(Buffer.from('pong'));
  assert.equal((await client.receive())?.toString(), 'pong');
  await assert.rejects(SeqpacketSocket.connect(join(tempDir(c), 'missing.sock')), { code: 'ENOENT' });
});

test('parseAttachFrame maps conmon stream ids', () => {
  assert.deepEqual(parseAttachFrame(Buffer.from([2, 0x61])), { stream: 'stdout', data: Buffer.from('a') });
  assert.deepEqual(parseAttachFrame(Buffer.from([3, 0x62])), { stream: 'stderr', data: Buffer.from('b') });
  assert.throws(() => parseAttachFrame(Buffer.from([9])), /unknown conmon attach stream id 9/);
});

test('conmon attach socket: stdin in, stdout (id 2) and stderr (id 3) out, stdin EOF ends the container', { skip: containerSkipReason(true) }, async (t) => {
  const c = new Cleanup();
  t.after(() => c.run());
  const dir = tempDir(c);
  const id = uniqueId('psn-attach');
  const root = join(dir, 'runc-root');
  const bundle = join(dir, 'bundle');
  const cgroupsPath = `/${id}`;
  const [exits, sockets, persist] = ['exits', 'sockets', 'persist'].map((d) => join(dir, d));
  for (const d of [exits, sockets, persist]) mkdirSync(d);
  c.add(() => assert.deepEqual(leftoverCgroups(cgroupsPath), [], 'runc delete removed the container cgroups'));
  writeBusyboxBundle(bundle, {
    args: ['sh', '-c', 'while read l; do echo "out:$l"; echo "err:$l" >&2; done; echo bye'],
    terminal: false,
    cgroupsPath,
  });
  deleteContainerOnCleanup(c, root, id);
  const conmonPidFile = join(dir, 'conmon.pid');
  c.add(async () => {
    // conmon exits by itself once the container has; kill it only if the test failed before that.
    const pid = readPid(conmonPidFile);
    if (pid && alive(pid)) {
      process.kill(pid, 'SIGKILL');
      await waitFor('conmon to die', () => !alive(pid));
    }
  });

  // conmon forks its monitor and exits; the monitor runs `runc create` and waits for the container.
  const conmon = spawn(
    CONMON,
    [
      ...['--api-version', '1', '-c', id, '-u', id, '-n', id, '-r', RUNC, '-b', bundle],
      ...['-p', join(dir, 'ctr.pid'), '-P', conmonPidFile, '-l', `k8s-file:${join(dir, 'ctr.log')}`],
      ...['--exit-dir', exits, '--socket-dir-path', sockets, '-0', persist, `--runtime-arg=--root=${root}`, '-i'],
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let conmonErr = '';
  conmon.stderr.on('data', (d) => (conmonErr += d));
  const code = await new Promise((resolve) => conmon.on('close', resolve));
  assert.equal(code, 0, conmonErr);
  await waitFor('the container to be created', () => readPid(join(dir, 'ctr.pid')) || existsSync(join(exits, id)));

  const attach = await ConmonAttach.connect(conmonAttachPath(sockets, id));
  c.add(() => attach.close());
  await runOk(RUNC, ['--root', root, 'start', id]);
  await attach.writeStdin(Buffer.from('hello\n'));
  attach.closeStdin();

  const got: Record<string, string> = { stdout: '', stderr: '' };
  for await (const frame of attach.frames()) got[frame.stream] += frame.data.toString();
  assert.equal(got.stdout, 'out:hello\nbye\n');
  assert.equal(got.stderr, 'err:hello\n');

  await waitFor('the exit file', () => existsSync(join(exits, id)));
  assert.equal(readFileSync(join(exits, id), 'utf8').trim(), '0');
  const log = readFileSync(join(dir, 'ctr.log'), 'utf8');
  assert.match(log, / stdout F out:hello\n/);
  assert.match(log, / stderr F err:hello\n/);
  const conmonPid = readPid(conmonPidFile);
  assert.ok(conmonPid);
  await waitFor('conmon to exit', () => !alive(conmonPid));
  assert.deepEqual(readdirSync(exits), [id]);
});
