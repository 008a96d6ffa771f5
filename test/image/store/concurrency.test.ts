// Several processes on one store: writers of the same blob, prune during an ingest or a lease-holding pull,
// two unpacks of the same image. Nothing may be corrupted and nothing needed may be deleted.
import { describe, it, before, beforeEach, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { openStore, type ImageStore } from '../../../engine/image/store';
import { unpackImage } from '../../../engine/image/unpack';
import { ImageError } from '../../../engine/image/types';
import { buildImage, dir, file, sha256, tarOf, type BuiltBlobs } from '../unpack/craft';
import { killChild, someoneWaitsForLock } from '../../support/wait';

const REPO = join(__dirname, '..', '..', '..');
const WORKER = join(__dirname, 'worker.ts');

interface Worker {
  child: ChildProcess;
  line(): Promise<string>;
  send(s: string): void;
  exit: Promise<{ code: number | null; stderr: string }>;
}

/** Workers of the running test: killed after it, so a failed assertion leaves none waiting for its `go`. */
const workers: ChildProcess[] = [];
afterEach(async () => {
  await Promise.all(workers.splice(0).map(killChild));
});

function worker(args: string[]): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, ...args], { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] });
  workers.push(child);
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const it = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const exit = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stderr })));
  return {
    child,
    async line() {
      const r = await it.next();
      if (r.done) throw new Error(`worker ended early: ${(await exit).stderr}`);
      return r.value;
    },
    send: (s) => void child.stdin!.write(s + '\n'),
    exit,
  };
}

let root: string;
let home: string;
let store: ImageStore;

before(() => {
  root = mkdtempSync(join(tmpdir(), 'podsmith-conc-'));
});
// Each test gets its own store, so what one leaves unreferenced does not show in another's prune.
beforeEach(async () => {
  home = mkdtempSync(join(root, 'home-'));
  store = await openStore(home);
});
after(() => rmSync(root, { recursive: true, force: true }));

/** Blob files of an image in a dir, and the worker's list (manifest last). */
function stage(built: BuiltBlobs, name: string): string {
  const d = join(root, name);
  mkdirSync(d, { recursive: true });
  const list: Array<[string, string]> = [];
  for (const [digest, bytes] of built.blobs) {
    const p = join(d, digest.slice(7));
    writeFileSync(p, bytes);
    if (digest !== built.manifestDigest) list.push([digest, p]);
  }
  list.push([built.manifestDigest, join(d, built.manifestDigest.slice(7))]);
  const listFile = join(d, 'list.json');
  writeFileSync(listFile, JSON.stringify(list));
  return listFile;
}

async function bigImage(tag: string): Promise<BuiltBlobs> {
  // Random bytes do not compress: a 4 MiB layer stays 4 MiB, so the interleavings below have room.
  return buildImage([
    { tar: await tarOf([dir('etc'), file('etc/name', tag)]) },
    { tar: await tarOf([dir('data'), file('data/blob', randomBytes(4 * 1024 * 1024))]) },
  ]);
}

describe('concurrent processes on one store', () => {
  it('two processes writing the same blob: one writes, the other waits and shares it', async () => {
    const data = randomBytes(6 * 1024 * 1024);
    const src = join(root, 'same-blob');
    writeFileSync(src, data);
    const d = sha256(data);
    const a = worker(['write', home, d, src, String(256 * 1024)]);
    assert.equal(JSON.parse(await a.line()).offset, 0, 'the first writer starts from nothing');
    assert.equal(await a.line(), 'wrote');
    // The second writer comes while the first holds the blob's ingest lock, half-way: it must wait for it.
    const b = worker(['write', home, d, src, String(256 * 1024)]);
    await someoneWaitsForLock(store.paths.ingestLock(d));
    a.send('go');
    const [ra, rb] = await Promise.all([a.exit, b.exit]);
    assert.equal(ra.code, 0, ra.stderr);
    assert.equal(rb.code, 0, rb.stderr);
    assert.equal(JSON.parse(await b.line()).offset, data.length, 'the second writer found the blob complete: nothing to write');
    assert.deepEqual(readFileSync(store.blobs.path(d)), data);
    assert.deepEqual(readdirSync(store.paths.ingest), []);
  });

  it('prune during an ingest deletes nothing the ingest needs, before or after its commits', async () => {
    const built = await bigImage('ingest');
    const w = worker(['ingest', home, stage(built, 'stage-ingest'), 'ingested:1']);
    assert.equal(await w.line(), 'half');
    // Half-way through the big layer: the committed blobs are unreferenced but fresh, and the partial is locked;
    // it is made to look old so only the lock can be what keeps it.
    const big = built.layers[1].digest;
    const old = new Date(Date.now() - 24 * 3600 * 1000);
    utimesSync(store.paths.partial(big), old, old);
    const during = await store.prune();
    assert.equal(during.partialsRemoved, 0, 'a partial being written is never removed');
    assert.equal(during.blobsRemoved, 0);
    assert.ok(existsSync(store.paths.partial(big)));
    w.send('go');
    assert.equal(await w.line(), 'committed');
    // Everything committed, nothing tagged yet: the grace period protects it.
    const between = await store.prune();
    assert.equal(between.blobsRemoved, 0);
    assert.ok(between.keptRecent >= built.blobs.size, JSON.stringify(between));
    w.send('go');
    assert.equal(await w.line(), 'tagged');
    assert.equal((await w.exit).code, 0);
    const afterTag = await store.prune({ graceMs: 0 });
    assert.equal(afterTag.blobsRemoved, 0);
    for (const [digest, bytes] of built.blobs) assert.deepEqual(readFileSync(store.blobs.path(digest)), bytes, digest);
    const u = await unpackImage(store, (await store.resolveImage('ingested:1'))!);
    assert.equal(readFileSync(join(u.layers[1].root, 'data/blob')).length, 4 * 1024 * 1024);
  });

  it('prune waits for a process holding the store lease (a pull), or fails with BUSY', async () => {
    const w = worker(['lease', home]);
    assert.equal(await w.line(), 'leased');
    await assert.rejects(store.prune({ timeoutMs: 100 }), (e: unknown) => e instanceof ImageError && e.code === 'BUSY');
    let released = false;
    const lineDone = w.line().then((l) => {
      assert.equal(l, 'releasing');
      released = true;
    });
    let pruned = false;
    const pruning = store.prune({ timeoutMs: 30_000 }).then(() => (pruned = true));
    await someoneWaitsForLock(store.paths.storeLock);
    assert.equal(pruned, false, 'prune waits for the lease');
    w.send('go');
    await pruning;
    await lineDone;
    assert.ok(released, 'prune ran only after the lease was given back');
    assert.equal((await w.exit).code, 0);
  });

  it('two processes unpacking the same image: each layer is unpacked once, both get it whole', async () => {
    const built = await bigImage('unpack');
    for (const [digest, bytes] of built.blobs) {
      const wr = await store.blobs.writer(digest, bytes.length);
      await wr.write(bytes.subarray(wr.offset));
      await wr.commit();
    }
    const a = worker(['unpack', home, built.manifestDigest]);
    const b = worker(['unpack', home, built.manifestDigest]);
    const [ra, rb] = await Promise.all([a.exit, b.exit]);
    assert.equal(ra.code, 0, ra.stderr);
    assert.equal(rb.code, 0, rb.stderr);
    const ca = JSON.parse(await a.line()) as boolean[];
    const cb = JSON.parse(await b.line()) as boolean[];
    for (let i = 0; i < ca.length; i++) assert.ok(ca[i] || cb[i], `layer ${i} unpacked by only one process`);
    assert.ok(!readdirSync(store.paths.layers).some((n) => n.startsWith('.tmp-')));
    const u = await unpackImage(store, built.manifestDigest);
    assert.ok(u.layers.every((l) => l.cached));
    assert.ok(existsSync(join(u.layers[1].root, 'data/blob')));
  });
});
