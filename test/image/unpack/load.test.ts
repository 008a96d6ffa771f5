// `load`: OCI layout directories, oci-archive and docker-archive tarballs (made by skopeo, the way users make
// them), compressed or not; hostile and corrupted content coming in this way.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadImage } from '../../../engine/image/load';
import { openStore, type ImageStore } from '../../../engine/image/store';
import { createRootfs, removeRootfs } from '../../../engine/image/unpack';
import { ImageError } from '../../../engine/image/types';
import { createTestImages, type TestImages } from '../../support/images';
import { buildImage, file, listTree, symlink, tarOf, writeLayout } from './craft';

let root: string;
let images: TestImages;
let n = 0;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'podsmith-load-'));
  images = await createTestImages();
});
after(() => {
  images.dispose();
  rmSync(root, { recursive: true, force: true });
});

async function fresh(): Promise<ImageStore> {
  return openStore(join(root, `home-${++n}`));
}

const code = (c: string, msg?: RegExp) => (err: unknown) => {
  assert.ok(err instanceof ImageError, String(err));
  assert.equal(err.code, c, err.message);
  if (msg) assert.match(err.message, msg);
  return true;
};

async function runsBusybox(store: ImageStore, image: string): Promise<void> {
  const r = await createRootfs(store, { image, dir: join(root, `ctr-${++n}`) });
  try {
    assert.equal(spawnSync(join(r.path, 'bin/busybox'), ['echo', 'ok'], { encoding: 'utf8' }).stdout, 'ok\n');
  } finally {
    await removeRootfs(store, r.dir);
  }
}

describe('load', () => {
  it('loads an OCI layout directory; a bare-tag ref.name needs --name', async () => {
    const store = await fresh();
    const bb = await images.busybox();
    const unnamed = await loadImage(store, bb.layout);
    assert.deepEqual(unnamed.images, [{ digest: bb.digest, names: [] }]);
    assert.match(unnamed.warnings[0], /latest \(a tag without a repository name/);
    assert.deepEqual((await store.listImages()).map((i) => i.name), [bb.digest], 'kept under its digest');
    const named = await loadImage(store, bb.layout, { name: 'busybox:demo' });
    assert.deepEqual(named.images[0].names, ['docker.io/library/busybox:demo']);
    assert.deepEqual((await store.listImages()).map((i) => i.name), ['docker.io/library/busybox:demo'], 'the digest-only entry is superseded');
    await runsBusybox(store, 'busybox:demo');
  });

  it('loads an oci-archive (skopeo) with a full ref.name, gzip-compressed too', async () => {
    const store = await fresh();
    const bb = await images.busybox();
    const tarball = join(root, 'bb-oci.tar');
    execFileSync('skopeo', ['copy', '--quiet', `oci:${bb.layout}:latest`, `oci-archive:${tarball}:registry.example/tools/busybox:1.0`]);
    const r = await loadImage(store, tarball);
    assert.deepEqual(r.images[0].names, ['registry.example/tools/busybox:1.0']);
    await runsBusybox(store, 'registry.example/tools/busybox:1.0');
    const gz = join(root, 'bb-oci.tar.gz');
    writeFileSync(gz, gzipSync(readFileSync(tarball)));
    const again = await loadImage(await fresh(), gz);
    assert.deepEqual(again.images[0].names, ['registry.example/tools/busybox:1.0']);
  });

  it('loads a docker-archive (skopeo, docker save format), converting it to an OCI manifest', async () => {
    const store = await fresh();
    const ml = await images.multiLayer();
    const tarball = join(root, 'ml-docker.tar');
    execFileSync('skopeo', ['copy', '--quiet', `oci:${ml.layout}:latest`, `docker-archive:${tarball}:example.com/team/multi:7`]);
    const r = await loadImage(store, tarball);
    assert.deepEqual(r.images[0].names, ['example.com/team/multi:7']);
    const manifest = await store.blobs.readJson<{ mediaType: string; layers: { mediaType: string }[] }>(r.images[0].digest, 1 << 20);
    assert.equal(manifest.mediaType, 'application/vnd.oci.image.manifest.v1+json');
    assert.equal(manifest.layers.length, 3);
    const c = await createRootfs(store, { image: 'example.com/team/multi:7', dir: join(root, `ctr-${++n}`) });
    try {
      assert.deepEqual(readdirSync(join(c.path, 'dir')), ['new']);
      assert.equal(existsSync(join(c.path, 'a/gone')), false);
    } finally {
      await removeRootfs(store, c.dir);
    }
  });

  it('loads a multi-platform index and unpacks this host’s platform', async () => {
    const store = await fresh();
    const ma = await images.multiArch();
    const tarball = join(root, 'ma.tar');
    execFileSync('tar', ['-cf', tarball, '-C', ma.layout, '.']);
    const r = await loadImage(store, tarball, { name: 'multi:1' });
    assert.equal(r.images[0].digest, ma.digest);
    if (process.arch === 'x64') await runsBusybox(store, 'multi:1');
  });

  it('loads a hostile layer as bytes, and refuses to unpack it, leaving nothing behind', async () => {
    const store = await fresh();
    const built = buildImage([{ tar: await tarOf([symlink('etc', '/etc'), file('etc/passwd', 'pwned::0:0::/:/bin/sh\n')]) }]);
    const layout = join(root, 'hostile-layout');
    writeLayout(layout, built, 'docker.io/evil/image:latest');
    const r = await loadImage(store, layout);
    assert.deepEqual(r.images[0].names, ['docker.io/evil/image:latest']);
    const ctr = join(root, 'hostile-ctr');
    await assert.rejects(createRootfs(store, { image: 'evil/image', dir: ctr }), code('HOSTILE_LAYER', /entry "etc\/passwd".*absolute path "\/etc"/));
    assert.deepEqual(readdirSync(store.paths.layers), []);
    assert.equal(existsSync(ctr), false);
    assert.doesNotMatch(readFileSync('/etc/passwd', 'utf8'), /pwned/);
  });

  it('refuses a layout whose blob does not match its digest, storing nothing under that digest', async () => {
    const store = await fresh();
    const built = buildImage([{ tar: await tarOf([file('a', 'good')]) }]);
    const layout = join(root, 'corrupt-layout');
    writeLayout(layout, built, 'docker.io/x/corrupt:1');
    const layer = built.layers[0].digest;
    const p = join(layout, 'blobs', 'sha256', layer.slice(7));
    const bytes = readFileSync(p);
    bytes[bytes.length - 5] ^= 0xff;
    writeFileSync(p, bytes);
    await assert.rejects(loadImage(store, layout), code('DIGEST_MISMATCH'));
    assert.equal(existsSync(store.blobs.path(layer)), false);
    assert.deepEqual(readdirSync(store.paths.ingest), []);
    assert.deepEqual(await store.listImages(), []);
  });

  it('refuses a layout missing a layer, and inputs that are not images', async () => {
    const store = await fresh();
    const built = buildImage([{ tar: await tarOf([file('a', 'x')]) }]);
    const layout = join(root, 'missing-layout');
    writeLayout(layout, built, 'docker.io/x/missing:1');
    rmSync(join(layout, 'blobs', 'sha256', built.layers[0].digest.slice(7)));
    await assert.rejects(loadImage(store, layout), code('NOT_FOUND', /does not contain/));
    const notImage = join(root, 'not-image.tar');
    execFileSync('tar', ['-cf', notImage, '-C', root, 'missing-layout/oci-layout']);
    await assert.rejects(loadImage(store, notImage), code('BAD_ARCHIVE'));
    writeFileSync(join(root, 'garbage'), 'not a tar at all'.repeat(100));
    await assert.rejects(loadImage(store, join(root, 'garbage')), code('BAD_ARCHIVE'));
    await assert.rejects(loadImage(store, join(root, 'nothing-here')), code('NOT_FOUND'));
    assert.deepEqual(listTree(store.paths.tmp), []);
  });
});
