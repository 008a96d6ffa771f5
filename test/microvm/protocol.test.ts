// The host-guest channel's framing and streams, end to end in one process: two multiplexers wired back to
// back through the real encoder and decoder. A reader that stops reading must stall its own stream only,
// never control frames or another stream; a sender never has more than the window in flight; Eof comes after
// the last data; a decoder finds the first whole frame after garbage (a host that connects mid-stream).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { encodeFrame, encodeJson, FrameDecoder, FrameType, STREAM_WINDOW, type Frame } from '../../engine/pods/microvm/protocol/frames';
import { StreamMux } from '../../engine/pods/microvm/protocol/mux';

/** Two muxes joined by byte pipes through the real codec; `controls` collects non-stream frames each side got. */
function pair() {
  const toB = new FrameDecoder();
  const toA = new FrameDecoder();
  const controls: { a: Frame[]; b: Frame[] } = { a: [], b: [] };
  let inFlightAtoB = 0;
  let maxInFlight = 0;
  const deliver = (decoder: FrameDecoder, bytes: Buffer, target: () => StreamMux, side: 'a' | 'b') =>
    setImmediate(() => {
      for (const f of decoder.push(bytes)) {
        if (side === 'b' && f.type === FrameType.Data) inFlightAtoB -= f.payload.length;
        if (!target().handle(f)) controls[side].push(f);
      }
    });
  const a: StreamMux = new StreamMux((frame) => {
    const len = frame.readUInt32BE(8);
    if (frame[2] === FrameType.Data) {
      inFlightAtoB += len;
      maxInFlight = Math.max(maxInFlight, inFlightAtoB);
    }
    deliver(toB, frame, () => b, 'b');
  });
  const b: StreamMux = new StreamMux((frame) => deliver(toA, frame, () => a, 'a'));
  return { a, b, controls, maxInFlight: () => maxInFlight };
}

describe('microVM channel framing', () => {
  it('decodes frames split at any byte and skips garbage before a header', () => {
    const frames = Buffer.concat([Buffer.from('junk from an older session \x50'), encodeJson(FrameType.Welcome, { nonce: 'n1' }), encodeFrame(FrameType.Data, 8, Buffer.from('xyz'))]);
    const d = new FrameDecoder();
    const got: Frame[] = [];
    for (let i = 0; i < frames.length; i += 3) got.push(...d.push(frames.subarray(i, i + 3)));
    assert.deepEqual(got.map((f) => f.type), [FrameType.Welcome, FrameType.Data]);
    assert.equal(JSON.parse(got[0].payload.toString()).nonce, 'n1');
    assert.equal(got[1].payload.toString(), 'xyz');
    assert.ok(d.skipped > 0);
  });

  it('refuses payloads over the limit when encoding, and skips a header that announces one', () => {
    assert.throws(() => encodeFrame(FrameType.Data, 4, Buffer.alloc((1 << 20) + 1)));
    const bogus = Buffer.alloc(12);
    bogus.writeUInt16BE(0x5056, 0);
    bogus[2] = FrameType.Data;
    bogus.writeUInt32BE(0xffffffff, 8);
    const d = new FrameDecoder();
    assert.deepEqual(d.push(Buffer.concat([bogus, encodeFrame(FrameType.Ping, 0)])).map((f) => f.type), [FrameType.Ping]);
  });
});

describe('microVM channel streams', () => {
  it('a reader that stops stalls only its stream: control and another stream go on, in-flight data stays within the window', async () => {
    const { a, b, controls, maxInFlight } = pair();
    const slowOut = a.outgoing(4);
    const fastOut = a.outgoing(8);
    const slowIn = b.incoming(4);
    const fastIn = b.incoming(8);
    slowIn.pause();
    // The slow stream's writer keeps writing: it must be held back by credit, not pile up in flight.
    const big = Buffer.alloc(64 * 1024, 1);
    let slowWritten = 0;
    const writeSlow = async () => {
      for (let i = 0; i < 40; i++) {
        slowWritten += big.length;
        if (!slowOut.write(big)) await once(slowOut, 'drain');
      }
      slowOut.end();
    };
    const slowDone = writeSlow();
    // Meanwhile the other stream moves 2 MiB end to end and a control frame arrives.
    let fastGot = 0;
    fastIn.on('data', (c: Buffer) => (fastGot += c.length));
    for (let i = 0; i < 32; i++) if (!fastOut.write(big)) await once(fastOut, 'drain');
    fastOut.end();
    await once(fastIn, 'end');
    assert.equal(fastGot, 32 * big.length);
    a.send(encodeFrame(FrameType.Ping, 0, Buffer.from('p')), false);
    await new Promise((r) => setTimeout(r, 20));
    assert.ok(controls.b.some((f) => f.type === FrameType.Ping), 'the ping got through while a stream was stalled');
    assert.ok(slowWritten < 40 * big.length, 'the stalled stream held its writer back');
    // Now the slow reader reads: everything arrives, in order, then the end.
    let slowGot = 0;
    slowIn.on('data', (c: Buffer) => (slowGot += c.length));
    slowIn.resume();
    await Promise.all([slowDone, once(slowIn, 'end')]);
    assert.equal(slowGot, 40 * big.length);
    assert.ok(maxInFlight() <= 2 * STREAM_WINDOW, `in flight ${maxInFlight()} bytes`);
  });

  it('Eof arrives after the last data; a reset reaches the writer, whose later writes go nowhere', async () => {
    const { a, b } = pair();
    const out = a.outgoing(12);
    const inn = b.incoming(12);
    const chunks: string[] = [];
    inn.on('data', (c: Buffer) => chunks.push(c.toString()));
    out.write('one ');
    out.write('two ');
    out.end('three');
    await once(inn, 'end');
    assert.equal(chunks.join(''), 'one two three');

    const out2 = a.outgoing(16);
    const in2 = b.incoming(16);
    in2.on('error', () => undefined);
    in2.destroy();
    await new Promise((r) => setTimeout(r, 10));
    await new Promise<void>((resolve, reject) => out2.write(Buffer.alloc(STREAM_WINDOW * 2), (err) => (err ? reject(err) : resolve())));
  });

  it('closing the session ends every stream with an error', async () => {
    const { b } = pair();
    const inn = b.incoming(20);
    const failed = once(inn, 'error');
    b.closeAll(new Error('the host session ended'));
    const [err] = await failed;
    assert.match((err as Error).message, /session ended/);
  });
});
