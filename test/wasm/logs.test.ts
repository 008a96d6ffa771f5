// Logs of wasm containers through the runtime: tail, timestamps, follow while the module writes, and a
// follow that ends when the pod stops.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { IMAGES, until, wasmPod, wasmTestEnv, whyNoWasm, type WasmTestEnv } from './fixtures';

const skip = whyNoWasm();

describe('pod-wasm logs', { skip }, () => {
  let env: WasmTestEnv;
  before(async () => {
    env = await wasmTestEnv();
  });
  afterEach(async () => {
    assert.deepEqual(await env.cleanup(), []);
  });
  after(async () => {
    await env?.dispose();
  });

  it('follows a module as it writes, tails, and ends a follow when the pod stops', async () => {
    await env.runtime.runPod({ manifest: wasmPod('ticker', { terminationGracePeriodSeconds: 0, containers: [{ name: 'tick', image: IMAGES.tool, command: ['tool.wasm', 'tick', '20'] }] }) });
    const abort = new AbortController();
    const stream = await env.runtime.logs({ pod: 'ticker', follow: true }, abort.signal);
    let seen = '';
    for await (const chunk of stream) {
      seen += Buffer.from(chunk as Uint8Array).toString('utf8');
      if (seen.includes('tick 5\n')) break;
    }
    abort.abort();
    assert.match(seen, /^tick 1\ntick 2\ntick 3\ntick 4\ntick 5\n/);

    const tail = await until('two lines of tail', async () => {
      let out = '';
      for await (const chunk of await env.runtime.logs({ pod: 'ticker', tail: 2, timestamps: true })) out += Buffer.from(chunk as Uint8Array).toString('utf8');
      return out.trim().split('\n').length === 2 ? out : undefined;
    });
    assert.match(tail, /^\S+Z tick \d+\n\S+Z tick \d+\n$/);

    // A follow in progress ends by itself once the pod is stopped: nothing will write any more.
    const follow = await env.runtime.logs({ pod: 'ticker', follow: true });
    const drained = (async () => {
      let n = 0;
      for await (const chunk of follow) n += Buffer.from(chunk as Uint8Array).length;
      return n;
    })();
    await env.runtime.stopPod({ pod: 'ticker' });
    assert.ok((await drained) > 0);
  });

  it('rotates a log by size as native logs are, without losing or splitting a line', async () => {
    const rotating = env.newRuntime({ logRotation: { maxBytes: 2048, maxFiles: 3 } });
    const status = await rotating.runPod({ manifest: wasmPod('rotor', { terminationGracePeriodSeconds: 0, containers: [{ name: 'tick', image: IMAGES.tool, command: ['tool.wasm', 'tick', '2'] }] }) });
    const dir = join(env.home, 'wasm-pods', status.uid, 'sandbox', 'logs', 'tick');
    // Three files are kept: the first one is dropped at the third rotation.
    await until('a third rotation', () => existsSync(join(dir, '0.log.2')) && !/ F tick 1$/m.test(readFileSync(join(dir, '0.log.2'), 'utf8')));
    await rotating.stopPod({ pod: 'rotor' });
    for (const f of readdirSync(dir)) assert.ok(statSync(join(dir, f)).size < 2048 + 1024, `${f} stays near the size limit`);
    // What is kept reads back as consecutive whole lines.
    let out = '';
    for await (const chunk of await rotating.logs({ pod: 'rotor' })) out += Buffer.from(chunk as Uint8Array).toString('utf8');
    const numbers = out.trim().split('\n').map((l) => Number(/^tick (\d+)$/.exec(l)?.[1]));
    assert.ok(numbers.length > 50 && numbers.every((n, i) => i === 0 || n === numbers[i - 1] + 1), 'consecutive lines');
    assert.ok(numbers[0] > 1, 'the oldest file was dropped');
    await rotating.deletePod({ pod: 'rotor' });
  });
});
