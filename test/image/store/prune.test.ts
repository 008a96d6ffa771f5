// Mark and sweep: what prune removes and what it must keep.
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type ImageStore } from '../../../engine/image/store';
import { createRootfs, removeRootfs, unpackImage } from '../../../engine/image/unpack';
import { dir, file, sha256, storeImage, tarOf, type BuiltBlobs } from '../unpack/craft';

let root: string;
let store: ImageStore;

beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), 'podsmith-prune-'));
  store = await openStore(join(root, 'home'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const old = new Date(Date.now() - 24 * 3600 * 1000);
function age(built: BuiltBlobs): void {
  for (const d of built.blobs.keys()) utimesSync(store.blobs.path(d), old, old);
}
function ageLayers(): void {
  for (const n of readdirSync(store.paths.layers)) utimesSync(join(store.paths.layers, n, 'meta.json'), old, old);
}

async function twoImages(): Promise<{ kept: BuiltBlobs; dropped: BuiltBlobs; shared: string }> {
  const base = await tarOf([dir('etc'), file('etc/base', 'shared base')]);
  const kept = await storeImage(store, [{ tar: base }, { tar: await tarOf([file('kept', 'k')]) }]);
  const dropped = await storeImage(store, [{ tar: base }, { tar: await tarOf([file('dropped', 'd')]) }]);
  await store.tagImage('kept:1', kept.manifestDigest);
  await store.tagImage('dropped:1', dropped.manifestDigest);
  return { kept, dropped, shared: kept.layers[0].digest };
}

describe('prune', () => {
  it('removes blobs and layers only the removed image used, keeps shared ones', async () => {
    const { kept, dropped, shared } = await twoImages();
    await unpackImage(store, kept.manifestDigest);
    await unpackImage(store, dropped.manifestDigest);
    assert.equal(readdirSync(store.paths.layers).length, 3);
    await store.removeImage('dropped:1');
    age(kept);
    age(dropped);
    ageLayers();
    const r = await store.prune();
    // dropped: its manifest, config and second layer; the base layer is shared.
    assert.equal(r.blobsRemoved, 3);
    assert.equal(r.layersRemoved, 1);
    assert.ok(r.bytesFreed > 0);
    for (const d of kept.blobs.keys()) assert.ok(existsSync(store.blobs.path(d)), `kept ${d}`);
    assert.ok(existsSync(store.blobs.path(shared)));
    assert.equal(existsSync(store.blobs.path(dropped.manifestDigest)), false);
    assert.equal(readdirSync(store.paths.layers).length, 2);
    // The kept image still unpacks from cache.
    const again = await unpackImage(store, kept.manifestDigest);
    assert.ok(again.layers.every((l) => l.cached));
  });

  it('keeps unreferenced things younger than the grace period', async () => {
    const { dropped } = await twoImages();
    await store.removeImage('dropped:1');
    const r = await store.prune();
    assert.equal(r.blobsRemoved, 0);
    assert.equal(r.keptRecent, 3);
    const r2 = await store.prune({ graceMs: 0 });
    assert.equal(r2.blobsRemoved, 3);
    assert.equal(existsSync(store.blobs.path(dropped.manifestDigest)), false);
  });

  it('has() refreshes a blob so a pull that skips it keeps it', async () => {
    const { dropped } = await twoImages();
    await store.removeImage('dropped:1');
    age(dropped);
    assert.equal(await store.blobs.has(dropped.layers[1].digest), true);
    await store.prune();
    assert.ok(existsSync(store.blobs.path(dropped.layers[1].digest)), 'touched by has(), kept');
    assert.equal(existsSync(store.blobs.path(dropped.manifestDigest)), false, 'the untouched manifest went');
  });

  it('keeps the layers of a live rootfs even when its image is removed', async () => {
    const { kept } = await twoImages();
    const r = await createRootfs(store, { image: 'kept:1', dir: join(root, 'ctr') });
    await store.removeImage('kept:1');
    await store.removeImage('dropped:1');
    age(kept);
    ageLayers();
    const p = await store.prune();
    assert.equal(p.layersRemoved, 0, 'layers in use by the rootfs stay');
    assert.equal(readFileSync(join(r.path, 'kept'), 'utf8'), 'k');
    await removeRootfs(store, r.dir);
    const p2 = await store.prune({ graceMs: 0 });
    assert.equal(p2.layersRemoved, 2);
    assert.deepEqual(readdirSync(store.paths.layers), []);
  });

  it('removes stale partial downloads and temp debris, keeps a partial being written', async () => {
    const data = Buffer.alloc(10_000, 1);
    const d1 = sha256(data);
    const w1 = await store.blobs.writer(d1, data.length);
    await w1.write(data.subarray(0, 100));
    await w1.abort(true);
    utimesSync(store.paths.partial(d1), old, old);
    const d2 = sha256(Buffer.alloc(10_000, 2));
    const w2 = await store.blobs.writer(d2, 10_000);
    await w2.write(Buffer.alloc(100, 2));
    utimesSync(store.paths.partial(d2), old, old);
    mkdirSync(join(store.paths.layers, '.tmp-deadbeef'));
    writeFileSync(join(store.paths.tmp, 'leftover'), 'x');
    const r = await store.prune({ graceMs: 0 });
    assert.equal(r.partialsRemoved, 1);
    assert.equal(existsSync(store.paths.partial(d1)), false);
    assert.ok(existsSync(store.paths.partial(d2)), 'a locked partial is a download in progress');
    assert.deepEqual(readdirSync(store.paths.tmp), []);
    assert.equal(existsSync(join(store.paths.layers, '.tmp-deadbeef')), false);
    await w2.abort();
  });
});
