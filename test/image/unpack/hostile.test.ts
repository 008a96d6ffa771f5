// Hostile layers: every one is refused with an error naming the layer and the entry, and leaves nothing
// behind: no temp dir, no cached layer, no rootfs, no file outside the store.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { openStore, type ImageStore } from '../../../engine/image/store';
import { createRootfs, unpackImage, type UnpackLimits } from '../../../engine/image/unpack';
import { ImageError } from '../../../engine/image/types';
import { dir, file, hardlink, listTree, storeImage, symlink, tarOf, type Entry, type LayerSpec } from './craft';

let root: string;
let home: string;
let store: ImageStore;
/** A directory outside the store that escapes would write into. */
let sentinel: string;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'podsmith-hostile-'));
  home = join(root, 'home');
  sentinel = join(root, 'sentinel');
  mkdirSync(sentinel);
  store = await openStore(home);
});
after(() => rmSync(root, { recursive: true, force: true }));

/** Cached layer dirs (chain hex names) and any temp dirs. */
function layerDirs(): string[] {
  return readdirSync(store.paths.layers).sort();
}

interface Expect {
  code: string;
  entry?: string;
  reason: RegExp;
  /** Which layer (index) is refused; default the last. */
  layer?: number;
  limits?: Partial<UnpackLimits>;
}

async function expectRefused(layers: LayerSpec[], want: Expect): Promise<void> {
  const before = layerDirs();
  const built = await storeImage(store, layers);
  const badLayer = built.layers[want.layer ?? layers.length - 1];
  const ctr = join(root, 'ctr-' + Math.random().toString(36).slice(2));
  await assert.rejects(
    createRootfs(store, { image: built.manifestDigest, dir: ctr, limits: want.limits }),
    (err: unknown) => {
      assert.ok(err instanceof ImageError, `expected ImageError, got ${String(err)}`);
      assert.equal(err.code, want.code, err.message);
      assert.match(err.message, want.reason);
      if (want.code !== 'TOO_LARGE' || want.entry) assert.ok(err.message.includes(badLayer.digest), `message names the layer: ${err.message}`);
      if (want.entry !== undefined) assert.ok(err.message.includes(JSON.stringify(want.entry)), `message names entry ${JSON.stringify(want.entry)}: ${err.message}`);
      return true;
    },
  );
  // Layers below the refused one may have been cached (they are fine on their own); nothing else may appear.
  const after = layerDirs();
  const added = after.filter((d) => !before.includes(d));
  assert.ok(added.every((d) => !d.startsWith('.tmp-')), `temp dir left behind: ${added}`);
  assert.ok(added.length <= (want.layer ?? layers.length - 1), `refused layer was cached: ${added}`);
  assert.equal(existsSync(ctr), false, 'no rootfs dir is left');
  assert.deepEqual(readdirSync(store.paths.rootfsRefs), [], 'no rootfs record is left');
  assert.deepEqual(listTree(sentinel), [], 'nothing was written outside the store');
}

const layer = async (entries: Entry[]): Promise<LayerSpec> => ({ tar: await tarOf(entries) });

describe('hostile layers are refused and leave nothing behind', () => {
  it('refuses a ".." component', async () => {
    await expectRefused([await layer([file('../etc/passwd', 'root::0:0::/:/bin/sh\n')])], { code: 'HOSTILE_LAYER', entry: '../etc/passwd', reason: /"\.\." component/ });
    assert.equal(existsSync(join(home, 'images', 'etc')), false);
  });

  it('refuses ".." hidden in the middle of a path', async () => {
    await expectRefused([await layer([dir('a'), file('a/../../x')])], { code: 'HOSTILE_LAYER', entry: 'a/../../x', reason: /"\.\." component/ });
  });

  it('refuses an absolute path', async () => {
    await expectRefused([await layer([file('/abs', 'x')])], { code: 'HOSTILE_LAYER', entry: '/abs', reason: /absolute path/ });
  });

  it('refuses writing through a symlink to an absolute path (a -> /etc, then a/passwd)', async () => {
    await expectRefused([await layer([symlink('a', '/etc'), file('a/passwd', 'x')])], { code: 'HOSTILE_LAYER', entry: 'a/passwd', reason: /symlink to the absolute path "\/etc"/ });
  });

  it('refuses writing through an absolute symlink into the sentinel dir', async () => {
    await expectRefused([await layer([symlink('out', sentinel), file('out/pwned', 'x')])], { code: 'HOSTILE_LAYER', entry: 'out/pwned', reason: /absolute path/ });
  });

  it('refuses a relative symlink climbing out of the root', async () => {
    const up = relative('/', sentinel).split('/').map(() => '..').join('/') + '/../../..' + sentinel;
    await expectRefused([await layer([symlink('up', up), file('up/pwned', 'x')])], { code: 'HOSTILE_LAYER', entry: 'up/pwned', reason: /points outside the image root/ });
  });

  it('refuses a symlink chain that escapes (x -> y, y -> z/.., z -> ../..)', async () => {
    await expectRefused(
      [await layer([dir('z'), symlink('x', 'y'), symlink('y', 'w/../..'), dir('w'), file('x/pwned', 'x')])],
      { code: 'HOSTILE_LAYER', entry: 'x/pwned', reason: /points outside the image root/ },
    );
  });

  it('refuses symlink loops', async () => {
    await expectRefused([await layer([symlink('a', 'b'), symlink('b', 'a'), file('a/x', 'x')])], { code: 'HOSTILE_LAYER', entry: 'a/x', reason: /more than \d+ symlinks/ });
  });

  it('refuses a hardlink to ../../x', async () => {
    await expectRefused([await layer([file('ok', 'x'), hardlink('h', '../../x')])], { code: 'HOSTILE_LAYER', entry: 'h', reason: /hardlink target "\.\.\/\.\.\/x".*"\.\." component/ });
  });

  it('refuses a hardlink to an absolute path', async () => {
    await expectRefused([await layer([hardlink('h', '/etc/shadow')])], { code: 'HOSTILE_LAYER', entry: 'h', reason: /hardlink target "\/etc\/shadow".*absolute/ });
  });

  it('refuses a hardlink through a symlink to outside (s -> /etc, h => s/shadow)', async () => {
    await expectRefused([await layer([symlink('s', '/etc'), hardlink('h', 's/shadow')])], { code: 'HOSTILE_LAYER', entry: 'h', reason: /symlink to the absolute path "\/etc"/ });
  });

  it('refuses a hardlink to a directory', async () => {
    await expectRefused([await layer([dir('d'), hardlink('h', 'd')])], { code: 'HOSTILE_LAYER', entry: 'h', reason: /is a directory/ });
  });

  it('refuses a symlink made by layer 1 and written through by layer 2', async () => {
    await expectRefused(
      [await layer([dir('etc'), symlink('evil', '/etc')]), await layer([file('evil/passwd', 'root::0:0::/:/bin/sh\n')])],
      { code: 'HOSTILE_LAYER', entry: 'evil/passwd', reason: /symlink to the absolute path/, layer: 1 },
    );
  });

  it('refuses a relative escape planted by layer 1 and used by layer 2 (also through a hardlink)', async () => {
    const l1 = await layer([symlink('hop', '../..')]);
    await expectRefused([l1, await layer([file('hop/pwned', 'x')])], { code: 'HOSTILE_LAYER', entry: 'hop/pwned', reason: /points outside/, layer: 1 });
    await expectRefused([l1, await layer([hardlink('h', 'hop/etc/shadow')])], { code: 'HOSTILE_LAYER', entry: 'h', reason: /points outside/, layer: 1 });
  });

  it('refuses a NUL byte in a name (PAX path record)', async () => {
    await expectRefused([await layer([{ name: 'innocent', data: 'x', pax: { path: 'evil\0/../../x' } }])], { code: 'HOSTILE_LAYER', entry: 'evil\0/../../x', reason: /NUL byte/ });
  });

  it('refuses a NUL byte in a symlink target', async () => {
    await expectRefused([await layer([{ name: 'l', type: 'symlink', linkname: 'x', pax: { linkpath: 'a\0b' } }])], { code: 'HOSTILE_LAYER', entry: 'l', reason: /NUL byte/ });
  });

  it('refuses character and block devices and fifos (unless allowed)', async () => {
    await expectRefused([await layer([dir('dev'), { name: 'dev/mem', type: 'character-device', devmajor: 1, devminor: 1, mode: 0o666 }])], { code: 'HOSTILE_LAYER', entry: 'dev/mem', reason: /character-device entries are refused/ });
    await expectRefused([await layer([{ name: 'sda', type: 'block-device', devmajor: 8, devminor: 0 }])], { code: 'HOSTILE_LAYER', entry: 'sda', reason: /block-device/ });
    await expectRefused([await layer([{ name: 'pipe', type: 'fifo' }])], { code: 'HOSTILE_LAYER', entry: 'pipe', reason: /fifo/ });
  });

  it('refuses a whiteout of "../x" and of ".."', async () => {
    await expectRefused([await layer([file('../.wh.x')])], { code: 'HOSTILE_LAYER', entry: '../.wh.x', reason: /"\.\." component/ });
    await expectRefused([await layer([dir('d'), file('d/.wh...')])], { code: 'HOSTILE_LAYER', entry: 'd/.wh...', reason: /whiteout of "\.\."/ });
  });

  it('refuses a whiteout through a symlink planted by a lower layer', async () => {
    const victim = join(root, 'victim');
    mkdirSync(join(victim, 'keep'), { recursive: true });
    await expectRefused([await layer([symlink('s', victim)]), await layer([file('s/.wh.keep')])], { code: 'HOSTILE_LAYER', entry: 's/.wh.keep', reason: /absolute path/, layer: 1 });
    assert.ok(existsSync(join(victim, 'keep')), 'the whiteout did not delete outside the root');
  });

  it('refuses the opaque-dir trick (an opaque marker inside a symlinked dir)', async () => {
    await expectRefused([await layer([symlink('root', '/')]), await layer([file('root/.wh..wh..opq')])], { code: 'HOSTILE_LAYER', entry: 'root/.wh..wh..opq', reason: /absolute path "\/"/, layer: 1 });
    await expectRefused([await layer([file('../.wh..wh..opq')])], { code: 'HOSTILE_LAYER', entry: '../.wh..wh..opq', reason: /"\.\." component/ });
  });

  it('refuses absurd names (component > 255 bytes, path > 4096 bytes, not UTF-8)', async () => {
    await expectRefused([await layer([file('x'.repeat(256))])], { code: 'HOSTILE_LAYER', entry: 'x'.repeat(256), reason: /component is longer than 255/ });
    const long = Array.from({ length: 30 }, () => 'y'.repeat(150)).join('/');
    await expectRefused([await layer([{ name: 'short', data: 'x', pax: { path: long } }])], { code: 'HOSTILE_LAYER', entry: long, reason: /longer than 4096 bytes/ });
    await expectRefused([await layer([{ name: 'short', data: 'x', pax: { path: 'bad\uFFFDname' } }])], { code: 'HOSTILE_LAYER', entry: 'bad\uFFFDname', reason: /not valid UTF-8/ });
  });

  it('refuses more files than the per-layer limit (injected: 10)', async () => {
    const entries = Array.from({ length: 11 }, (_, i) => file(`f${i}`, 'x'));
    await expectRefused([await layer(entries)], { code: 'TOO_LARGE', entry: 'f10', reason: /more than 10 entries/, limits: { filesPerLayer: 10 } });
  });

  it('stops a gzip bomb at the rootfs limit (injected: 1 MiB)', async () => {
    const bomb = await tarOf([file('zeros', Buffer.alloc(8 * 1024 * 1024))]);
    const gz = gzipSync(bomb, { level: 9 });
    assert.ok(gz.length < 64 * 1024);
    await expectRefused([{ tar: bomb, blob: gz }], { code: 'TOO_LARGE', entry: 'zeros', reason: /exceed the rootfs limit of 1048576 bytes/, limits: { rootfsBytes: 1024 * 1024 } });
  });

  it('stops a gzip bomb by its expansion ratio (injected: 20-fold past 256 KiB)', async () => {
    const bomb = await tarOf([file('zeros', Buffer.alloc(8 * 1024 * 1024))]);
    await expectRefused([{ tar: bomb }], { code: 'TOO_LARGE', entry: 'zeros', reason: /expands more than 20-fold/, limits: { compressionRatio: 20, ratioFloorBytes: 256 * 1024 } });
  });

  it('refuses a zstd frame asking for a 2 GiB window before allocating it', async () => {
    // Frame header: magic, descriptor 0x00 (no single segment, no checksum), window descriptor 0xa8 (2^31),
    // then one empty last raw block.
    const frame = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0xa8, 0x01, 0x00, 0x00]);
    const tar = await tarOf([file('x', 'y')]);
    await expectRefused([{ tar, blob: frame, compression: 'zstd' }], { code: 'BAD_LAYER', reason: /window; the limit is 134217728/ });
  });

  it('stops a zstd bomb at the rootfs limit', async () => {
    const bomb = await tarOf([file('zeros', Buffer.alloc(16 * 1024 * 1024))]);
    await expectRefused([{ tar: bomb, compression: 'zstd' }], { code: 'TOO_LARGE', entry: 'zeros', reason: /rootfs limit/, limits: { rootfsBytes: 2 * 1024 * 1024 } });
  });

  it('refuses more layers than the limit (injected: 2)', async () => {
    const l = await layer([file('a')]);
    const l2 = await layer([file('b')]);
    const l3 = await layer([file('c')]);
    await expectRefused([l, l2, l3], { code: 'TOO_LARGE', reason: /3 layers; the limit is 2/, limits: { layers: 2 } });
  });

  it('refuses a layer over the compressed size limit before reading it', async () => {
    await expectRefused([await layer([file('big', Buffer.alloc(4096, 7))])], { code: 'TOO_LARGE', reason: /compressed; the limit is 100/, limits: { layerCompressedBytes: 100 } });
  });

  it('refuses a layer whose content does not match its diff_id', async () => {
    const tar = await tarOf([file('a', 'x')]);
    await expectRefused([{ tar, diffId: 'sha256:' + '0'.repeat(64) }], { code: 'DIGEST_MISMATCH', reason: /config says sha256:0{64}/ });
  });

  it('refuses a layer that is not a tar', async () => {
    const junk = Buffer.from('this is not a tar archive at all, just text'.repeat(20));
    await expectRefused([{ tar: junk, compression: 'gzip' }], { code: 'BAD_LAYER', reason: /not a valid gzip tar stream/ });
  });

  it('leaves the store usable: the same hostile image fails again the same way', async () => {
    const l = await layer([symlink('a', '/etc'), file('a/passwd', 'x')]);
    await expectRefused([l], { code: 'HOSTILE_LAYER', entry: 'a/passwd', reason: /absolute/ });
    await expectRefused([l], { code: 'HOSTILE_LAYER', entry: 'a/passwd', reason: /absolute/ });
  });

  it('reports the refusal through unpackImage too', async () => {
    const built = await storeImage(store, [await layer([file('../x')])]);
    await assert.rejects(unpackImage(store, built.manifestDigest), (e: unknown) => e instanceof ImageError && e.code === 'HOSTILE_LAYER');
  });
});
