// Exec and logs byte streams through the daemon (attach connections), against real processes.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { connectDaemon } from '../../engine/client/connect';
import type { DaemonClient } from '../../engine/client/daemon-client';
import { daemonPaths } from '../../engine/daemon/paths';
import { PodError } from '../../engine/pods/types';
import { FrameDecoder } from '../../engine/protocol/frames';
import { ATTACH_PREFIX, Frame } from '../../engine/protocol/messages';
import { cleanupHome, makeHome, startTestDaemon, testDaemonCommand, waitFor } from './support/harness';
import { fileSatisfies, TextSink } from '../support/wait';
import { alive } from './support/process-runtime';

let home: string;
let client: DaemonClient;

const POD = `apiVersion: v1
kind: Pod
metadata:
  name: shell
spec:
  containers:
    - name: main
      image: busybox
      command: ["sh", "-c", "echo line-1; echo line-2; echo line-3; while true; do sleep 1; done"]
    - name: side
      image: busybox
      command: ["sh", "-c", "echo from-side; while true; do sleep 1; done"]
`;

function collect(r: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    r.on('data', (b: Buffer) => parts.push(b));
    r.on('end', () => resolve(Buffer.concat(parts)));
    r.on('error', reject);
  });
}

before(async () => {
  home = makeHome();
  await startTestDaemon(home);
  client = await connectDaemon({ home, daemonCommand: testDaemonCommand() });
  await client.runPod({ manifest: POD, fileName: 'shell.yaml' });
});

after(async () => {
  client?.close();
  assert.deepEqual(await cleanupHome(home), [], 'processes left behind');
});

describe('exec through the daemon', () => {
  it('round-trips stdin to stdout, keeps stderr apart and returns the exit code', async () => {
    const s = await client.exec({ pod: 'shell', command: ['sh', '-c', 'cat; echo oops >&2; exit 42'], tty: false, stdin: true });
    const out = collect(s.stdout);
    const err = collect(s.stderr);
    s.stdin.write('hello ');
    s.stdin.end('world\n');
    assert.deepEqual(await s.ended, { kind: 'exit', code: 42 });
    assert.equal((await out).toString(), 'hello world\n');
    assert.equal((await err).toString(), 'oops\n');
  });

  it('moves megabytes both ways intact (backpressure, frame splitting)', async () => {
    const data = randomBytes(6 * 1024 * 1024 + 17);
    const s = await client.exec({ pod: 'shell', command: ['cat'], tty: false, stdin: true });
    const out = collect(s.stdout);
    s.stdin.end(data);
    assert.deepEqual(await s.ended, { kind: 'exit', code: 0 });
    const got = await out;
    assert.equal(got.length, data.length);
    assert.equal(createHash('sha256').update(got).digest('hex'), createHash('sha256').update(data).digest('hex'));
  });

  it('runs in another container with -c and reports a command killed by a signal as 128 + signal', async () => {
    const s = await client.exec({ pod: 'shell', container: 'side', command: ['sh', '-c', 'kill -9 $$'], tty: false, stdin: false });
    assert.deepEqual(await s.ended, { kind: 'exit', code: 137 });
  });

  it('passes the terminal size and resizes to the runtime', async () => {
    const s = await client.exec({ pod: 'shell', command: ['sh', '-c', 'read x; echo got-$x'], tty: true, stdin: true, size: { columns: 100, rows: 30 } });
    const out = collect(s.stdout);
    s.resize({ columns: 132, rows: 43 });
    await fileSatisfies(join(home, 'test-runtime', 'resizes.log'), 'the resize', (s) => s.includes('132x43'));
    s.stdin.end('yes\n');
    assert.deepEqual(await s.ended, { kind: 'exit', code: 0 });
    assert.equal((await out).toString(), 'got-yes\n');
    assert.match(readFileSync(join(home, 'test-runtime', 'resizes.log'), 'utf8'), /100x30\n132x43\n/);
  });

  it('fails on an unknown pod or container with PodError NOT_FOUND before any stream', async () => {
    await assert.rejects(client.exec({ pod: 'nope', command: ['true'], tty: false, stdin: false }), (e: Error) => e instanceof PodError && e.code === 'NOT_FOUND');
    await assert.rejects(
      client.exec({ pod: 'shell', container: 'nope', command: ['true'], tty: false, stdin: false }),
      (e: Error) => e instanceof PodError && e.code === 'NOT_FOUND' && /nope/.test(e.message),
    );
  });

  it('answers an attach to an unknown session with an error frame', async () => {
    const socket = connect(daemonPaths(home).socket);
    socket.write(`${ATTACH_PREFIX}00000000-0000-0000-0000-000000000000\n`);
    const frames = new FrameDecoder().push(await collect(socket));
    assert.equal(frames[0].type, Frame.Error);
    assert.match(frames[0].payload.toString(), /no such session/);
  });

  it('ends the command when the client hangs up mid-session (nobody reads or feeds it any more)', async () => {
    const marker = '/tmp/.psd-hangup-' + process.pid;
    const s = await client.exec({ pod: 'shell', command: ['sh', '-c', `echo $$ > ${marker}; cat >/dev/null; echo finished >> ${marker}`], tty: false, stdin: true });
    s.stdin.write('partial');
    await fileSatisfies(marker, 'the command to start', (s) => s.trim() !== '');
    const pid = Number(readFileSync(marker, 'utf8').trim());
    s.close();
    await waitFor('the command to be killed', () => !alive(pid));
    // Killed, not merely given end of input: it never got to its last line.
    assert.doesNotMatch(readFileSync(marker, 'utf8'), /finished/);
    rmSync(marker, { force: true });
  });
});

describe('logs through the daemon', () => {
  it('returns the log, or its last lines', async () => {
    await waitFor('the log', async () => (await collect((await client.logs({ pod: 'shell' })).stream)).toString().includes('line-3'));
    const all = await client.logs({ pod: 'shell' });
    assert.equal((await collect(all.stream)).toString(), 'line-1\nline-2\nline-3\n');
    await all.done;
    const tail = await client.logs({ pod: 'shell', tail: 1 });
    assert.equal((await collect(tail.stream)).toString(), 'line-3\n');
    const side = await client.logs({ pod: 'shell', container: 'side' });
    assert.equal((await collect(side.stream)).toString(), 'from-side\n');
  });

  it('follows new lines until the client closes, and the daemon then stops following', async () => {
    const log = join(home, 'test-runtime', 'shell-main.log');
    const f = await client.logs({ pod: 'shell', follow: true, tail: 1 });
    const text = new TextSink();
    f.stream.on('data', text.add);
    await text.until('the tail', (t) => t === 'line-3\n');
    appendFileSync(log, 'later-1\n');
    await text.until('a followed line', (t) => t.endsWith('later-1\n'));
    appendFileSync(log, 'later-2\n');
    await text.until('another followed line', (t) => t.endsWith('later-2\n'));
    f.close();
    const ended = join(home, 'test-runtime', 'follows-ended');
    await fileSatisfies(ended, 'the daemon to end the follow', (s) => s.includes('shell-main.log'));
  });

  it('fails on an unknown pod with NOT_FOUND', async () => {
    await assert.rejects(client.logs({ pod: 'nope' }), (e: Error) => e instanceof PodError && e.code === 'NOT_FOUND');
  });
});
