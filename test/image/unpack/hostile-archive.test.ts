// `load` of an untrusted tarball: only what index.json or manifest.json reaches is imported (junk blobs and layer
// tars stay out of the store, wherever they sit in the archive), the JSON documents kept in memory are capped in
// size, number and total, and every refusal names the archive entry without quoting its bytes.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadImage } from '../../../engine/image/load';
import { openStore, type ImageStore } from '../../../engine/image/store';
import { ImageError } from '../../../engine/image/types';
import { buildImage, file, listTree, sha256, tarOf, type BuiltBlobs, type Entry } from './craft';

let root: string;
let n = 0;
let image: BuiltBlobs;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'podsmith-hostile-archive-'));
  image = buildImage([{ tar: await tarOf([file('hello', 'world\n')]) }]);
});
after(() => rmSync(root, { recursive: true, force: true }));

const fresh = (): Promise<ImageStore> => openStore(join(root, `home-${++n}`));

async function archive(entries: Entry[]): Promise<string> {
  const path = join(root, `archive-${++n}.tar`);
  writeFileSync(path, await tarOf(entries));
  return path;
}

const blobEntry = (digest: string, bytes: Buffer): Entry => file(`blobs/sha256/${digest.slice(7)}`, bytes);
const imageBlobs = (): Entry[] => [...image.blobs].map(([d, b]) => blobEntry(d, b));
const indexJson = (ref = 'example.com/app:1'): Entry =>
  file(
    'index.json',
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: image.manifestDigest, size: image.blobs.get(image.manifestDigest)!.length, annotations: { 'org.opencontainers.image.ref.name': ref } }],
    }),
  );
const layoutFile = file('oci-layout', JSON.stringify({ imageLayoutVersion: '1.0.0' }));

const code = (c: string, msg?: RegExp) => (err: unknown) => {
  assert.ok(err instanceof ImageError, String(err));
  assert.equal(err.code, c, err.message);
  if (msg) assert.match(err.message, msg);
  return true;
};

async function nothingStored(store: ImageStore): Promise<void> {
  assert.deepEqual(await store.blobs.list(), []);
  assert.deepEqual(await store.listImages(), []);
  assert.deepEqual(listTree(store.paths.tmp), []);
}

describe('load of an untrusted archive', () => {
  it('imports only the blobs index.json reaches, even when the index comes last', async () => {
    const junkLayer = randomBytes(2 * 1024 * 1024);
    const junkJson = Buffer.from(JSON.stringify({ schemaVersion: 2, note: 'a manifest nothing lists' }));
    const tarball = await archive([
      layoutFile,
      ...imageBlobs(),
      blobEntry(sha256(junkLayer), junkLayer),
      blobEntry(sha256(junkJson), junkJson),
      file('extra/layer.tar', randomBytes(64 * 1024)),
      file('notes.json', '{"just": "a file"}'),
      indexJson(),
    ]);
    const store = await fresh();
    const r = await loadImage(store, tarball);
    assert.deepEqual(r.images, [{ digest: image.manifestDigest, names: ['example.com/app:1'] }]);
    assert.deepEqual((await store.blobs.list()).sort(), [...image.blobs.keys()].sort(), 'the image blobs and nothing else');
    assert.equal(await store.blobs.has(sha256(junkLayer)), false);
    assert.equal(await store.blobs.has(sha256(junkJson)), false);
  });

  it('imports only the layer tars manifest.json names (docker save format)', async () => {
    const layer = await tarOf([file('hello', 'docker\n')]);
    const junk = await tarOf([file('junk', 'not part of any image\n')]);
    const config = Buffer.from(
      JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/sh'] }, rootfs: { type: 'layers', diff_ids: [sha256(layer)] } }),
    );
    const configName = `${sha256(config).slice(7)}.json`;
    const tarball = await archive([
      file('aaaa/layer.tar', layer),
      file('zzzz/layer.tar', junk),
      file(configName, config),
      file('manifest.json', JSON.stringify([{ Config: configName, RepoTags: ['example.com/docker:1'], Layers: ['aaaa/layer.tar'] }])),
    ]);
    const store = await fresh();
    const r = await loadImage(store, tarball);
    assert.deepEqual(r.images[0].names, ['example.com/docker:1']);
    const stored = await store.blobs.list();
    assert.ok(stored.includes(sha256(layer)) && stored.includes(sha256(config)));
    assert.equal(stored.includes(sha256(junk)), false, 'the tar nothing names was not imported');
    assert.equal(stored.length, 3, 'layer, config and the converted manifest');
  });

  it('refuses more JSON documents than the cap, naming the entry, and stores nothing', async () => {
    const many = Array.from({ length: 1100 }, (_, i) => file(`meta/${i}.json`, '{}'));
    const tarball = await archive([layoutFile, indexJson(), ...imageBlobs(), ...many]);
    const store = await fresh();
    // index.json, oci-layout and the manifest and config blobs are documents too: the 1025th is meta/1020.json.
    await assert.rejects(loadImage(store, tarball), code('TOO_LARGE', /archive entry "meta\/1020\.json" is one JSON document too many: an archive may hold 1024/));
    await nothingStored(store);
  });

  it('refuses a JSON document over 1 MiB and JSON documents over the total cap, naming the entry', async () => {
    const big = await archive([layoutFile, file('index.json', `{"pad": "${'x'.repeat(1024 * 1024)}"}`), ...imageBlobs()]);
    const store = await fresh();
    await assert.rejects(loadImage(store, big), code('TOO_LARGE', /archive entry "index\.json" is \d+ bytes; a JSON document may have 1048576/));
    await nothingStored(store);

    const docs = Array.from({ length: 20 }, (_, i) => file(`doc-${i}.json`, JSON.stringify({ pad: 'y'.repeat(4000) })));
    const many = await archive([layoutFile, indexJson(), ...imageBlobs(), ...docs]);
    await assert.rejects(
      loadImage(store, many, { archiveLimits: { jsonTotalBytes: 32 * 1024 } }),
      code('TOO_LARGE', /archive entry "doc-\d+\.json" takes the archive's JSON documents over 32768 bytes in all/),
    );
    await nothingStored(store);
  });

  it('a broken index.json is named with a position, and none of its bytes are quoted', async () => {
    const tarball = await archive([layoutFile, file('index.json', '{"manifests": [ secret-token-0123456789 ]}'), ...imageBlobs()]);
    const store = await fresh();
    await assert.rejects(loadImage(store, tarball), (err: unknown) => {
      code('INVALID_JSON', /archive entry "index\.json" is not valid JSON at line 1, column 17$/)(err);
      assert.doesNotMatch((err as Error).message, /secret-token/);
      return true;
    });
    await nothingStored(store);
  });
});
