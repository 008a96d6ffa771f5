// Image names -> manifest digests: canonical names, atomic index updates, removal.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type ImageStore } from '../../../engine/image/store';
import { ImageError } from '../../../engine/image/types';
import { file, sha256, storeImage, tarOf } from '../unpack/craft';

let root: string;
let store: ImageStore;
let digest: string;
let other: string;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'podsmith-names-'));
  store = await openStore(root);
  digest = (await storeImage(store, [{ tar: await tarOf([file('a', 'a')]) }])).manifestDigest;
  other = (await storeImage(store, [{ tar: await tarOf([file('b', 'b')]) }])).manifestDigest;
});
after(() => rmSync(root, { recursive: true, force: true }));

describe('image names', () => {
  it('canonicalises names and resolves every spelling', async () => {
    assert.equal(await store.tagImage('busybox', digest), 'docker.io/library/busybox:latest');
    for (const spelling of ['busybox', 'busybox:latest', 'docker.io/library/busybox', 'index.docker.io/library/busybox:latest']) {
      assert.equal(await store.resolveImage(spelling), digest, spelling);
    }
    assert.equal(await store.resolveImage('busybox:other'), undefined);
  });

  it('resolves name@digest and bare digests of stored manifests', async () => {
    assert.equal(await store.resolveImage(`nothere@${digest}`), digest);
    assert.equal(await store.resolveImage(digest), digest);
    assert.equal(await store.resolveImage(sha256('absent')), undefined);
  });

  it('repoints a tag and lists names sorted', async () => {
    await store.tagImage('localhost:5000/app:v1', digest);
    await store.tagImage('localhost:5000/app:v1', other);
    const list = await store.listImages();
    assert.deepEqual(
      list.map((i) => [i.name, i.digest]),
      [
        ['docker.io/library/busybox:latest', digest],
        ['localhost:5000/app:v1', other],
      ],
    );
  });

  it('refuses to tag a manifest that is not stored, and invalid names', async () => {
    await assert.rejects(store.tagImage('x', sha256('nope')), (e: unknown) => e instanceof ImageError && e.code === 'NOT_FOUND');
    await assert.rejects(store.tagImage('repo//double-slash', digest), (e: unknown) => e instanceof ImageError && e.code === 'INVALID_REFERENCE');
  });

  it('removes names one by one or by digest', async () => {
    await store.tagImage('a:1', digest);
    await store.tagImage('a:2', digest);
    assert.equal(await store.removeImage('a:1'), true);
    assert.equal(await store.removeImage('a:1'), false);
    const gone = await store.removeDigest(digest);
    assert.deepEqual(gone.sort(), ['docker.io/library/a:2', 'docker.io/library/busybox:latest']);
    assert.deepEqual((await store.listImages()).map((i) => i.name), ['localhost:5000/app:v1']);
  });

  it('keeps the index private and writes it atomically (no temp files left)', async () => {
    assert.equal(statSync(store.paths.index).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(store.root).filter((n) => n.endsWith('.tmp')), []);
    assert.equal(JSON.parse(readFileSync(store.paths.index, 'utf8')).schemaVersion, 1);
  });

  it('survives many concurrent tag updates without losing one', async () => {
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.tagImage(`many:${i}`, digest)));
    const names = (await store.listImages()).map((i) => i.name).filter((n) => n.includes('/many:'));
    assert.equal(names.length, 20);
  });
});
