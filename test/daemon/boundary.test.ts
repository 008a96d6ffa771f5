// The daemon's boundary: a raw JSON-RPC client sends wrong types, wrong shapes and oversized values for every
// request kind, and broken framing on both kinds of connection. Each bad request gets an error naming the
// field, nothing acts on it (the pod stays as it was), and the daemon keeps serving.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { connectDaemon } from '../../engine/client/connect';
import type { DaemonClient } from '../../engine/client/daemon-client';
import { daemonPaths } from '../../engine/daemon/paths';
import { encodeFrame, FrameDecoder, resizeFrame } from '../../engine/protocol/frames';
import { ATTACH_PREFIX, Frame, MAX_MESSAGE_HEADERS, REQUESTS } from '../../engine/protocol/messages';
import { cleanupHome, makeHome, processesOf, startTestDaemon, testDaemonCommand, waitFor } from './support/harness';
import { alive } from './support/process-runtime';
import { RawRpc } from './support/raw-rpc';

const MiB = 1024 * 1024;
const INVALID_PARAMS = -32602;

const POD = `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
    - name: app
      image: busybox
      command: ["sh", "-c", "while true; do sleep 1; done"]
`;

/** Per method: bad params and the error each must get (a string is the whole message). */
const BAD: Record<string, [unknown, string | RegExp][]> = {
  'podsmith/hello': [
    [{ protocolVersion: '1', client: 'x' }, 'protocolVersion must be an integer 0..2147483647, got "1"'],
    [{ protocolVersion: 1, client: 5 }, 'client must be a string of at most 256 bytes, got 5'],
    ['hello', 'params must be an object, got "hello"'],
  ],
  'podsmith/shutdown': [[{ now: true }, 'unknown field "now" (this request takes none)']],
  'pods/run': [
    [{}, 'request is required (an object)'],
    [{ request: { manifest: 42 } }, 'request.manifest must be a string of at most 1 MiB, got 42'],
    [{ request: { manifest: 'x'.repeat(MiB + 1) } }, 'request.manifest must be a string of at most 1 MiB, got a string of 1048577 bytes'],
    // Multi-byte characters count as bytes: 600 Ki three-byte characters are 1.8 MiB.
    [{ request: { manifest: '€'.repeat(600 * 1024) } }, /^request\.manifest must be a string of at most 1 MiB, got a string of 1843200 bytes$/],
    [{ request: { manifest: POD, ociRuntime: '/tmp/evil' } }, 'request.ociRuntime must be one of auto, runc, crun, youki, got "/tmp/evil"'],
    [{ request: { manifest: POD, extraManifests: [{ fileName: 'a.yaml', text: 5 }] } }, 'request.extraManifests[0].text must be a string of at most 1 MiB, got 5'],
    [{ request: { manifest: POD, extraManifests: Array.from({ length: 17 }, (_, i) => ({ fileName: `${i}.yaml`, text: 'x'.repeat(MiB) })) } }, 'request.extraManifests must hold at most 16 MiB of text in all, got 17825901 bytes'],
    [{ request: { manifest: POD, podName: 'a\0b' } }, 'request.podName must not contain NUL characters'],
    [{ request: { manifest: POD }, progressToken: 7 }, 'progressToken must be a non-empty string of at most 128 bytes, got 7'],
  ],
  'pods/stop': [
    [{ pod: 'web', gracePeriodSeconds: 'x' }, 'gracePeriodSeconds must be an integer 0..300, got "x"'],
    [{ pod: 'web', gracePeriodSeconds: 301 }, 'gracePeriodSeconds must be an integer 0..300, got 301'],
    [{ pod: 'web', gracePeriodSeconds: 1.5 }, 'gracePeriodSeconds must be an integer 0..300, got 1.5'],
    [{ pod: 7 }, 'pod must be a non-empty string of at most 253 bytes, got 7'],
  ],
  'pods/delete': [
    // "yes" is truthy: read loosely, it would have force-deleted a running pod.
    [{ pod: 'web', force: 'yes' }, 'force must be true or false, got "yes"'],
    [{ pod: 'web', Force: true }, 'unknown field "Force" (known: pod, force)'],
  ],
  'pods/get': [
    [{}, 'pod is required (a non-empty string of at most 253 bytes)'],
    [{ pod: '' }, 'pod must be a non-empty string of at most 253 bytes, got ""'],
    [{ pod: 'x'.repeat(300) }, 'pod must be a non-empty string of at most 253 bytes, got a string of 300 bytes'],
  ],
  'pods/list': [
    [[1], 'params must be an object, got an array of 1 item'],
    [{ all: true }, 'unknown field "all" (this request takes none)'],
  ],
  'pods/netns': [[{ pod: null }, 'pod must be a non-empty string of at most 253 bytes, got null']],
  'pods/dial': [
    [{ pod: 'web', port: 0 }, 'port must be an integer 1..65535, got 0'],
    [{ pod: 'web', port: 65536 }, 'port must be an integer 1..65535, got 65536'],
    [{ pod: 'web', port: '80' }, 'port must be an integer 1..65535, got "80"'],
    [{ pod: 'web' }, /^port is required/],
  ],
  'events/list': [[{ pod: ['web'] }, 'pod must be a non-empty string of at most 253 bytes, got an array of 1 item']],
  'events/subscribe': [[{ progress: 1 }, 'progress must be true or false, got 1']],
  'events/unsubscribe': [[{}, 'subscription is required (a non-empty string of at most 128 bytes)']],
  'exec/start': [
    [{ pod: 'web', command: 'ls' }, /^command must be an array of 1\.\.4096 items \(each a string of at most 128 KiB\), got "ls"$/],
    [{ pod: 'web', command: [] }, /^command must be an array of 1\.\.4096 items .*, got an array of 0 items$/],
    [{ pod: 'web', command: Array(5000).fill('a') }, /^command must be an array of 1\.\.4096 items .*, got an array of 5000 items$/],
    [{ pod: 'web', command: ['sh', 5] }, 'command[1] must be a string of at most 128 KiB, got 5'],
    [{ pod: 'web', command: ['a'.repeat(128 * 1024 + 1)] }, 'command[0] must be a string of at most 128 KiB, got a string of 131073 bytes'],
    [{ pod: 'web', command: Array(10).fill('a'.repeat(120 * 1024)) }, 'command must hold at most 1 MiB of text in all, got 1228800 bytes'],
    [{ pod: 'web', command: ['sh'], tty: 'true' }, 'tty must be true or false, got "true"'],
    [{ pod: 'web', command: ['sh'], size: { columns: 0, rows: 10 } }, 'size.columns must be an integer 1..65535, got 0'],
    [{ pod: 'web', command: ['sh'], container: 'x'.repeat(64) }, 'container must be a non-empty string of at most 63 bytes, got a string of 64 bytes'],
  ],
  'logs/start': [
    [{ pod: 'web', tail: -1 }, 'tail must be an integer 0..2147483647, got -1'],
    [{ pod: 'web', sinceSeconds: '5m' }, 'sinceSeconds must be an integer 0..2147483647, got "5m"'],
    [{ pod: 'web', follow: 'yes' }, 'follow must be true or false, got "yes"'],
  ],
};

let home: string;
let client: DaemonClient;
let rpc: RawRpc;

/** The daemon still answers, on this connection and on a new one, and the pod is as it was. */
async function stillServing(): Promise<void> {
  const r = await rpc.call('pods/get', { pod: 'web' });
  assert.equal((r.result as { phase: string }).phase, 'Running', JSON.stringify(r));
  assert.equal((await client.getPod('web')).phase, 'Running');
}

function attach(session: string): Promise<{ socket: Socket; frames: { type: Frame; payload: Buffer }[]; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(daemonPaths(home).socket);
    const frames: { type: Frame; payload: Buffer }[] = [];
    const decoder = new FrameDecoder();
    socket.on('data', (b: Buffer) => frames.push(...decoder.push(b)));
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.write(`${ATTACH_PREFIX}${session}\n`);
      resolve({ socket, frames, closed });
    });
  });
}

const execs = (marker: string): number[] =>
  processesOf(home).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(marker);
    } catch {
      return false;
    }
  });

before(async () => {
  home = makeHome();
  await startTestDaemon(home);
  client = await connectDaemon({ home, daemonCommand: testDaemonCommand() });
  await client.runPod({ manifest: POD, fileName: 'web.yaml' });
  rpc = await RawRpc.open(home);
});

after(async () => {
  rpc?.close();
  client?.close();
  assert.deepEqual(await cleanupHome(home), [], 'processes left behind');
});

describe('request params are checked at the boundary', () => {
  it('every request kind has bad cases here', () => {
    assert.deepEqual(Object.keys(BAD).sort(), REQUESTS.map((r) => r.method).sort());
  });

  for (const [method, cases] of Object.entries(BAD)) {
    it(`${method}: wrong types and sizes get an error naming the field; nothing happens`, async () => {
      for (const [params, expected] of cases) {
        const r = await rpc.call(method, params);
        assert.ok(r.error, `${method} ${JSON.stringify(params).slice(0, 100)} was accepted: ${JSON.stringify(r.result)?.slice(0, 200)}`);
        assert.equal(r.error.code, INVALID_PARAMS, r.error.message);
        if (typeof expected === 'string') assert.equal(r.error.message, expected);
        else assert.match(r.error.message, expected);
      }
      await stillServing();
    });
  }

  it('params left out read as none: fine for pods/list, a named missing field elsewhere', async () => {
    assert.ok(Array.isArray((await rpc.call('pods/list')).result));
    const r = await rpc.call('pods/get');
    assert.equal(r.error?.message, 'pod is required (a non-empty string of at most 253 bytes)');
  });

  it('an unknown method is named; the log keeps field names, not the refused values', async () => {
    const r = await rpc.call('pods/explode', { pod: 'web' });
    assert.equal(r.error?.code, -32601);
    assert.equal(r.error?.message, 'unknown method "pods/explode"');
    await rpc.call('pods/stop', { pod: 'web', gracePeriodSeconds: 'value-not-for-the-log' });
    const log = readFileSync(daemonPaths(home).log, 'utf8');
    assert.match(log, /pods\/stop: invalid params \(gracePeriodSeconds\)/);
    assert.doesNotMatch(log, /value-not-for-the-log/);
    await stillServing();
  });
});

describe('JSON-RPC framing is bounded', () => {
  it('a message announced over the size limit ends its connection before it is buffered', async () => {
    const bad = await RawRpc.open(home);
    bad.sendBytes('Content-Length: 2000000000\r\n\r\n{"jsonrpc":"2.0",');
    await bad.closed;
    await stillServing();
  });

  it('an endless header block, or one without Content-Length, ends its connection', async () => {
    const endless = await RawRpc.open(home);
    endless.sendBytes('X-Filler: ' + 'a'.repeat(MAX_MESSAGE_HEADERS + 10));
    await endless.closed;
    const noLength = await RawRpc.open(home);
    noLength.sendBytes('Content-Type: application/json\r\n\r\n{}');
    await noLength.closed;
    await stillServing();
  });

  it('a body that is not JSON, or JSON that is not a request, does not stop the daemon', async () => {
    const junk = await RawRpc.open(home);
    junk.sendBytes('Content-Length: 7\r\n\r\n{oops!}');
    junk.sendBytes('Content-Length: 4\r\n\r\nnull');
    junk.sendBytes('Content-Length: 2\r\n\r\n[]');
    // The connection may stay or go; the daemon must answer on it or on the next one.
    const r = await Promise.race([junk.call('pods/get', { pod: 'web' }), junk.closed.then(() => undefined)]);
    if (r) assert.equal((r.result as { phase: string }).phase, 'Running');
    junk.close();
    await stillServing();
  });
});

describe('attach framing is checked', () => {
  it('an attach line that does not name a session id gets an Error frame', async () => {
    const a = await attach('../../etc/passwd');
    await a.closed;
    assert.equal(a.frames.length, 1);
    assert.equal(a.frames[0].type, Frame.Error);
    assert.equal(a.frames[0].payload.toString(), 'an attach line names a session id (a UUID), got "../../etc/passwd"');
  });

  for (const [what, frame, message] of [
    ['a Resize frame of 3 bytes', encodeFrame(Frame.Resize, Buffer.from([0, 80, 0])), 'a Resize frame carries 4 bytes (columns, rows), got 3'],
    ['a Resize to 0 columns', encodeFrame(Frame.Resize, Buffer.from([0, 0, 0, 24])), 'a Resize frame needs columns and rows of 1..65535, got 0x24'],
    ['an Exit frame (the daemon\'s to send)', encodeFrame(Frame.Exit, Buffer.alloc(4)), 'a client may not send Exit frames'],
    ['a StdinEnd frame with a payload', encodeFrame(Frame.StdinEnd, Buffer.from('x')), 'a StdinEnd frame carries nothing, got 1 bytes'],
    ['a frame of unknown type', Buffer.from([99, 0, 0, 0, 0]), 'unknown frame type 99'],
  ] as const) {
    it(`${what} ends the exec session with an Error frame naming it, and ends the command`, async () => {
      const marker = String(4000 + Math.floor(Math.random() * 1000));
      const r = await rpc.call('exec/start', { pod: 'web', command: ['sleep', marker], stdin: true, tty: true, size: { columns: 80, rows: 24 } });
      const { session } = r.result as { session: string };
      const a = await attach(session);
      a.socket.write(resizeFrame({ columns: 100, rows: 30 })); // a good frame first: still fine
      await waitFor('the command to run', () => execs(marker).length > 0);
      a.socket.write(frame);
      await a.closed;
      const last = a.frames.at(-1)!;
      assert.equal(last.type, Frame.Error);
      assert.equal(last.payload.toString(), message);
      await waitFor('the command to be ended', () => execs(marker).every((pid) => !alive(pid)));
      await stillServing();
    });
  }
});
