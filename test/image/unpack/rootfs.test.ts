// Good images: unpacked layers are cached once and assembled into working root filesystems, by overlay where
// this host allows and by copy otherwise, with the same result either way.
import { describe, it, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadImage } from '../../../engine/image/load';
import { openStore, type ImageStore } from '../../../engine/image/store';
import { createRootfs, overlaySupported, removeRootfs, unpackImage, type Rootfs } from '../../../engine/image/unpack';
import type { PullProgress } from '../../../engine/image/types';
import { createTestImages, type TestImages } from '../../support/images';
import { dir, file, hardlink, listTree, storeImage, symlink, tarOf, type Entry } from './craft';

let root: string;
let store: ImageStore;
let images: TestImages;
let overlayHere: boolean;
const made: Rootfs[] = [];

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'podsmith-rootfs-'));
  store = await openStore(join(root, 'home'));
  images = await createTestImages();
  overlayHere = await overlaySupported(store.paths.tmp);
});
after(async () => {
  for (const r of made) await removeRootfs(store, r.dir).catch(() => {});
  images.dispose();
  rmSync(root, { recursive: true, force: true });
});

let n = 0;
async function rootfs(image: string, method: 'auto' | 'overlay' | 'copy' = 'auto', onProgress?: (p: PullProgress) => void): Promise<Rootfs> {
  const r = await createRootfs(store, { image, dir: join(root, `ctr-${++n}`), method, onProgress });
  made.push(r);
  return r;
}

/** Everything about a tree that matters: type, mode, owner, symlink target, file content. */
function describeTree(base: string): string[] {
  return listTree(base).map((rel) => {
    const p = join(base, rel);
    const st = lstatSync(p);
    const kind = st.isSymbolicLink() ? `-> ${readlinkSync(p)}` : st.isDirectory() ? 'dir' : st.isFile() ? `file ${readFileSync(p).length}:${readFileSync(p).subarray(0, 40).toString('hex')}` : 'special';
    return `${rel} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid} ${kind}`;
  });
}

async function layerImage(layers: Entry[][]): Promise<string> {
  const specs = [];
  for (const l of layers) specs.push({ tar: await tarOf(l) });
  return (await storeImage(store, specs)).manifestDigest;
}

describe('rootfs from the busybox test image', () => {
  let bb: string;
  before(async () => {
    const loaded = await loadImage(store, (await images.busybox()).layout, { name: 'busybox:test' });
    bb = loaded.images[0].digest;
  });

  it('unpacks a busybox whose binary runs', async () => {
    const r = await rootfs('busybox:test');
    assert.equal(r.method, overlayHere ? 'overlay' : 'copy');
    const out = spawnSync(join(r.path, 'bin/busybox'), ['echo', 'ok'], { encoding: 'utf8' });
    assert.equal(out.stdout, 'ok\n', out.stderr);
    // And it works as a root: chroot into it and use the symlinked applets.
    const inside = spawnSync('chroot', [r.path, '/bin/sh', '-c', 'echo hi from $(cat /etc/passwd | head -n1 | cut -d: -f1)'], { encoding: 'utf8' });
    assert.equal(inside.stdout, 'hi from root\n', inside.stderr);
    assert.equal((statSync(join(r.path, 'tmp')).mode & 0o7777).toString(8), '1777');
  });

  it('unpacks only once: a second rootfs is a cache hit for every layer', async () => {
    const events: PullProgress[] = [];
    await rootfs(bb, 'auto', (p) => events.push(p));
    const done = events.filter((e) => e.type === 'unpack-done');
    assert.ok(done.length > 0);
    assert.ok(done.every((e) => e.type === 'unpack-done' && e.cached), JSON.stringify(events));
  });

  it('builds the same tree by copy as by overlay', async (t) => {
    if (!overlayHere) return t.skip('overlayfs is not available here');
    const o = await rootfs(bb, 'overlay');
    const c = await rootfs(bb, 'copy');
    assert.equal(o.method, 'overlay');
    assert.equal(c.method, 'copy');
    assert.deepEqual(describeTree(c.path), describeTree(o.path));
    const out = spawnSync(join(c.path, 'bin/busybox'), ['echo', 'ok'], { encoding: 'utf8' });
    assert.equal(out.stdout, 'ok\n');
  });

  it('keeps container writes out of the layer cache', async () => {
    const a = await rootfs(bb);
    const b = await rootfs(bb);
    spawnSync('chroot', [a.path, '/bin/sh', '-c', 'echo changed > /etc/passwd; rm /bin/ls']);
    assert.match(readFileSync(join(b.path, 'etc/passwd'), 'utf8'), /^root:/);
    assert.ok(existsSync(join(b.path, 'bin/ls')));
    const again = await unpackImage(store, bb);
    assert.match(readFileSync(join(again.layers[0].root, 'etc/passwd'), 'utf8'), /^root:/);
  });

  it('removes a rootfs completely (unmounted, deleted, no record left)', async () => {
    const r = await createRootfs(store, { image: bb, dir: join(root, 'to-remove') });
    await removeRootfs(store, r.dir);
    assert.equal(existsSync(r.dir), false);
    assert.ok(!readFileSync('/proc/self/mountinfo', 'utf8').includes(r.dir));
    assert.ok(!readdirSync(store.paths.rootfsRefs).some((f) => readFileSync(join(store.paths.rootfsRefs, f), 'utf8').includes(r.dir)));
  });

  it('refuses to assemble over an existing rootfs', async () => {
    const r = await rootfs(bb);
    await assert.rejects(createRootfs(store, { image: bb, dir: r.dir }), /already holds a rootfs/);
    assert.equal(spawnSync(join(r.path, 'bin/busybox'), ['true']).status, 0, 'the first rootfs is untouched');
  });
});

describe('layer semantics', () => {
  for (const method of ['overlay', 'copy'] as const) {
    describe(`assembled by ${method}`, () => {
      // overlayHere is known only once the file's before hook ran, so each test skips itself (a skip, never a pass).
      const unavailable = (t: TestContext): boolean => {
        if (method === 'copy' || overlayHere) return false;
        t.skip('overlayfs is not available here');
        return true;
      };

      it('applies whiteouts and opaque directories (multi-layer test image)', async (t) => {
        if (unavailable(t)) return;
        const loaded = await loadImage(store, (await images.multiLayer()).layout, { name: 'multilayer:test' });
        const r = await rootfs(loaded.images[0].digest, method);
        const names = listTree(r.path);
        assert.ok(names.includes('a/keep'));
        assert.ok(!names.includes('a/gone'), 'a/.wh.gone hid a/gone');
        assert.deepEqual(readdirSync(join(r.path, 'dir')), ['new'], 'the opaque dir hides old1 and sub');
        assert.equal(readFileSync(join(r.path, 'hard'), 'utf8'), 'keep\n');
        assert.equal(readlinkSync(join(r.path, 'link')), '/a/keep');
        assert.equal(readFileSync(join(r.path, 'etc/motd'), 'utf8'), 'hello from layer 3\n');
        assert.ok(names.includes('bin/busybox'));
      });

      it('follows in-root relative symlinks of lower layers (usrmerge: bin -> usr/bin)', async (t) => {
        if (unavailable(t)) return;
        const digest = await layerImage([
          [dir('usr'), dir('usr/bin'), symlink('bin', 'usr/bin'), file('usr/bin/old', 'old')],
          [file('bin/tool', 'tool\n', 0o755)],
        ]);
        const r = await rootfs(digest, method);
        assert.equal(readFileSync(join(r.path, 'usr/bin/tool'), 'utf8'), 'tool\n');
        assert.ok(lstatSync(join(r.path, 'bin')).isSymbolicLink(), 'bin stays a symlink');
        assert.equal(readFileSync(join(r.path, 'usr/bin/old'), 'utf8'), 'old');
      });

      it('copies a hardlink to a lower layer file, keeps hardlinks within a layer', async (t) => {
        if (unavailable(t)) return;
        const digest = await layerImage([[dir('a'), file('a/f', 'shared\n')], [hardlink('b', 'a/f'), file('c', 'c'), hardlink('d', 'c')]]);
        const r = await rootfs(digest, method);
        assert.equal(readFileSync(join(r.path, 'b'), 'utf8'), 'shared\n');
        assert.equal(lstatSync(join(r.path, 'c')).ino, lstatSync(join(r.path, 'd')).ino);
      });

      it('handles a whiteout and a re-creation of the same name in one layer, and char 0/0 whiteouts', async (t) => {
        if (unavailable(t)) return;
        const digest = await layerImage([
          [dir('x'), file('x/old', 'old'), file('y', 'y'), dir('z'), file('z/deep', 'deep')],
          [file('.wh.x'), dir('x'), file('x/new', 'new'), { name: 'y', type: 'character-device', devmajor: 0, devminor: 0 }, file('.wh.z')],
        ]);
        const r = await rootfs(digest, method);
        assert.deepEqual(readdirSync(join(r.path, 'x')), ['new']);
        assert.equal(existsSync(join(r.path, 'y')), false);
        assert.equal(existsSync(join(r.path, 'z')), false);
      });

      it('replaces a directory by a file and a file by a directory across layers', async (t) => {
        if (unavailable(t)) return;
        const digest = await layerImage([
          [dir('d'), file('d/inner', 'i'), file('f', 'f')],
          [file('d', 'now a file'), dir('f'), file('f/child', 'c')],
        ]);
        const r = await rootfs(digest, method);
        assert.equal(readFileSync(join(r.path, 'd'), 'utf8'), 'now a file');
        assert.deepEqual(readdirSync(join(r.path, 'f')), ['child']);
      });

      it('keeps modes (setuid, sticky), owners and mtimes', async (t) => {
        if (unavailable(t)) return;
        const digest = await layerImage([[dir('bin'), { name: 'bin/su', data: 'x', mode: 0o4755 }, { name: 'home', type: 'directory', mode: 0o1777 }, { name: 'owned', data: 'o', uid: 1000, gid: 100 }]]);
        const r = await rootfs(digest, method);
        assert.equal((statSync(join(r.path, 'bin/su')).mode & 0o7777).toString(8), '4755');
        assert.equal((statSync(join(r.path, 'home')).mode & 0o7777).toString(8), '1777');
        assert.equal(statSync(join(r.path, 'owned')).uid, process.getuid?.() === 0 ? 1000 : process.getuid?.());
        assert.equal(statSync(join(r.path, 'owned')).mtime.toISOString(), '2024-01-01T00:00:00.000Z');
      });

      it('unpacks zstd and uncompressed layers, and trusts magic bytes over a wrong media type', async (t) => {
        if (unavailable(t)) return;
        const l1 = await tarOf([file('from-zstd', 'z')]);
        const l2 = await tarOf([file('from-plain', 'p')]);
        const l3 = await tarOf([file('labelled-gzip-but-plain', 'g')]);
        const built = await storeImage(store, [
          { tar: l1, compression: 'zstd' },
          { tar: l2, compression: 'none' },
          { tar: l3, compression: 'none', mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' },
        ]);
        const r = await rootfs(built.manifestDigest, method);
        assert.deepEqual(listTree(r.path), ['from-plain', 'from-zstd', 'labelled-gzip-but-plain']);
      });
    });
  }
});

describe('the overlay probe after a crash', { skip: process.getuid?.() !== 0 ? 'needs root (mounts)' : undefined }, () => {
  it('sweeps a probe directory left mounted by a process that is gone, and keeps one whose process lives', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'podsmith-probe-'));
    const stale = join(scratch, `overlay-probe-${spawnSync('true').pid}-abc123`);
    try {
      const live = join(scratch, `overlay-probe-${process.pid}-def456`);
      for (const d of [stale, live]) spawnSync('mkdir', ['-p', join(d, 'rootfs')]);
      assert.equal(spawnSync('mount', ['-t', 'tmpfs', 'tmpfs', join(stale, 'rootfs')]).status, 0);
      assert.equal(typeof (await overlaySupported(scratch, {})), 'boolean');
      assert.equal(existsSync(stale), false, 'the dead process\'s probe is gone');
      assert.ok(!readFileSync('/proc/self/mountinfo', 'utf8').includes(stale), 'and its mount');
      assert.equal(existsSync(live), true, 'a live process\'s probe is left alone');
    } finally {
      spawnSync('umount', [join(stale, 'rootfs')]);
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
