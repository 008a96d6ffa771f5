import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { encodeFrame, exitFrame, FrameDecoder, readResize, resizeFrame } from '../../engine/protocol/frames';
import { Frame, MAX_FRAME } from '../../engine/protocol/messages';

describe('attach frames', () => {
  it('decode whatever way the bytes are split', () => {
    const payload = randomBytes(70_000);
    const wire = Buffer.concat([encodeFrame(Frame.Stdout, payload), encodeFrame(Frame.Stderr, Buffer.from('e')), exitFrame(-3), resizeFrame({ columns: 120, rows: 40 })]);
    for (const step of [1, 7, 4096, wire.length]) {
      const d = new FrameDecoder();
      const got = [];
      for (let at = 0; at < wire.length; at += step) got.push(...d.push(wire.subarray(at, at + step)));
      assert.deepEqual(
        got.map((f) => f.type),
        [Frame.Stdout, Frame.Stderr, Frame.Exit, Frame.Resize],
      );
      assert.ok(got[0].payload.equals(payload));
      assert.equal(got[2].payload.readInt32BE(0), -3);
      assert.deepEqual(readResize(got[3].payload), { columns: 120, rows: 40 });
    }
  });

  it('refuse an oversized or unknown frame instead of buffering it', () => {
    const big = Buffer.alloc(5);
    big.writeUInt8(Frame.Stdout, 0);
    big.writeUInt32BE(MAX_FRAME + 1, 1);
    assert.throws(() => new FrameDecoder().push(big), /exceeds/);
    assert.throws(() => new FrameDecoder().push(Buffer.from([99, 0, 0, 0, 0])), /unknown frame/);
  });
});
