// The BlobSink contract: verified, atomic, resumable writes; reads with limits.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type ImageStore } from '../../../engine/image/store';
import { ImageError } from '../../../engine/image/types';
import { sha256 } from '../unpack/craft';
import { someoneWaitsForLock } from '../../support/wait';

let root: string;
let store: ImageStore;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'podsmith-blobs-'));
  store = await openStore(root);
});
after(() => rmSync(root, { recursive: true, force: true }));

const code = (c: string, msg?: RegExp) => (err: unknown) => {
  assert.ok(err instanceof ImageError, String(err));
  assert.equal(err.code, c, err.message);
  if (msg) assert.match(err.message, msg);
  return true;
};
const ingestLeft = (): string[] => readdirSync(store.paths.ingest);

describe('blob writer', () => {
  it('stores a blob under its digest only after verifying it', async () => {
    const data = randomBytes(100_000);
    const d = sha256(data);
    const w = await store.blobs.writer(d, data.length);
    assert.equal(w.offset, 0);
    await w.write(data.subarray(0, 5000));
    assert.equal(existsSync(store.blobs.path(d)), false, 'not visible before commit');
    await w.write(data.subarray(5000));
    await w.commit();
    assert.deepEqual(readFileSync(store.blobs.path(d)), data);
    assert.equal(await store.blobs.has(d), true);
    assert.equal(await store.blobs.size(d), data.length);
    assert.equal(statSync(store.blobs.path(d)).mode & 0o777, 0o644);
    assert.deepEqual(ingestLeft(), []);
  });

  it('refuses content with the wrong digest and keeps nothing', async () => {
    const data = Buffer.from('the real content');
    const claimed = sha256('something else entirely');
    const w = await store.blobs.writer(claimed, data.length);
    await w.write(data);
    await assert.rejects(w.commit(), code('DIGEST_MISMATCH', /not the expected/));
    assert.equal(existsSync(store.blobs.path(claimed)), false);
    assert.equal(await store.blobs.has(claimed), false);
    assert.deepEqual(ingestLeft(), []);
  });

  it('refuses a short blob at commit and a long one at write', async () => {
    const data = Buffer.from('0123456789');
    const d = sha256(data);
    const short = await store.blobs.writer(d, data.length);
    await short.write(data.subarray(0, 4));
    await assert.rejects(short.commit(), code('SIZE_MISMATCH'));
    const long = await store.blobs.writer(d, 5);
    await assert.rejects(long.write(data), code('TOO_LARGE'));
    await long.abort();
    assert.equal(await store.blobs.has(d), false);
    assert.deepEqual(ingestLeft(), []);
  });

  it('resumes a partial kept by abort(true), re-hashing what is there', async () => {
    const data = randomBytes(300_000);
    const d = sha256(data);
    const first = await store.blobs.writer(d, data.length);
    await first.write(data.subarray(0, 120_000));
    await first.abort(true);
    assert.equal(existsSync(store.blobs.path(d)), false);
    assert.ok(ingestLeft().includes(d.slice(7)), 'the partial is kept under ingest/');
    const second = await store.blobs.writer(d, data.length);
    assert.equal(second.offset, 120_000);
    await second.write(data.subarray(120_000));
    await second.commit();
    assert.deepEqual(readFileSync(store.blobs.path(d)), data);
    assert.deepEqual(ingestLeft(), []);
  });

  it('a corrupted partial fails the digest check and is dropped, so the retry starts from zero', async () => {
    const data = randomBytes(50_000);
    const d = sha256(data);
    const first = await store.blobs.writer(d, data.length);
    await first.write(randomBytes(20_000)); // wrong bytes
    await first.abort(true);
    const second = await store.blobs.writer(d, data.length);
    assert.equal(second.offset, 20_000);
    await second.write(data.subarray(20_000));
    await assert.rejects(second.commit(), code('DIGEST_MISMATCH'));
    const third = await store.blobs.writer(d, data.length);
    assert.equal(third.offset, 0);
    await third.write(data);
    await third.commit();
    assert.equal(await store.blobs.has(d), true);
  });

  it('abort() drops the partial', async () => {
    const data = randomBytes(1000);
    const d = sha256(data);
    const w = await store.blobs.writer(d, data.length);
    await w.write(data.subarray(0, 10));
    await w.abort();
    assert.deepEqual(ingestLeft(), []);
    assert.equal((await store.blobs.writer(d, data.length).then(async (x) => (await x.abort(), x))).offset, 0);
  });

  it('a second writer of the same digest waits, then shares the first one’s result', async () => {
    const data = randomBytes(64_000);
    const d = sha256(data);
    const a = await store.blobs.writer(d, data.length);
    let bResolved = false;
    const bPromise = store.blobs.writer(d, data.length).then((w) => ((bResolved = true), w));
    await a.write(data.subarray(0, 32_000));
    await someoneWaitsForLock(store.paths.ingestLock(d));
    assert.equal(bResolved, false, 'the second writer waits while the first holds the ingest lock');
    await a.write(data.subarray(32_000));
    await a.commit();
    const b = await bPromise;
    assert.equal(b.offset, data.length, 'complete: nothing left to write');
    await assert.rejects(b.write(Buffer.from('x')), code('TOO_LARGE'));
    await b.commit();
    assert.deepEqual(readFileSync(store.blobs.path(d)), data);
  });

  it('refuses malformed digests before touching the disk', async () => {
    await assert.rejects(store.blobs.writer('sha256:../../etc/passwd', 1), code('INVALID_DIGEST'));
    await assert.rejects(store.blobs.writer('sha512:' + 'a'.repeat(128), 1), code('INVALID_DIGEST'));
    await assert.rejects(store.blobs.writer(sha256('x'), -1), code('INVALID_SIZE'));
  });
});

describe('blob reads', () => {
  it('readJson enforces the size limit and re-checks the digest', async () => {
    const doc = Buffer.from(JSON.stringify({ hello: 'world', pad: 'x'.repeat(2000) }));
    const d = await store.blobs.putBytes(doc);
    assert.equal(d, sha256(doc));
    assert.deepEqual((await store.blobs.readJson<{ hello: string }>(d, 4096)).hello, 'world');
    await assert.rejects(store.blobs.readJson(d, 100), code('TOO_LARGE'));
    writeFileSync(store.blobs.path(d), doc.toString().replace('world', 'WORLD'));
    await assert.rejects(store.blobs.readJson(d, 4096), code('DIGEST_MISMATCH', /corrupted/));
    await assert.rejects(store.blobs.readJson(sha256('absent'), 4096), code('NOT_FOUND'));
  });

  it('importStream stores content of unknown digest, within a limit', async () => {
    const data = randomBytes(10_000);
    const src = async function* () {
      yield data.subarray(0, 3000);
      yield data.subarray(3000);
    };
    const r = await store.blobs.importStream(src(), 20_000);
    assert.equal(r.digest, sha256(data));
    assert.equal(r.size, data.length);
    await assert.rejects(store.blobs.importStream(src(), 5000), code('TOO_LARGE'));
    assert.deepEqual(readdirSync(store.paths.tmp), []);
  });
});

describe('store layout', () => {
  it('creates owner-only directories', () => {
    for (const d of [store.root, store.paths.blobs, store.paths.ingest, store.paths.layers, store.paths.locks, store.paths.tmp]) {
      assert.equal(statSync(d).mode & 0o777, 0o700, d);
    }
  });
});
