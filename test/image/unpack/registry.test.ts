// Through a real registry (Debian's docker-registry on loopback): pull + unpack of good images, a hostile
// image that pulls fine but is refused at unpack, and several processes pulling into one store at once.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pullImage } from '../../../engine/image/pull';
import { openStore, type ImageStore } from '../../../engine/image/store';
import { createRootfs, removeRootfs } from '../../../engine/image/unpack';
import { ImageError } from '../../../engine/image/types';
import { createTestImages, pushTestImage, type TestImages } from '../../support/images';
import { startRegistry, type TestRegistry } from '../../support/registry';
import { entryAppears, killChild } from '../../support/wait';
import { buildImage, file, hardlink, symlink, tarOf, writeLayout } from './craft';

const REPO = join(__dirname, '..', '..', '..');
const WORKER = join(__dirname, '..', 'store', 'worker.ts');

let root: string;
let reg: TestRegistry;
let images: TestImages;
let n = 0;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'podsmith-unpack-reg-'));
  images = await createTestImages();
  reg = await startRegistry();
  await pushTestImage(await images.busybox(), reg, 'bb:1');
  await pushTestImage(await images.multiLayer(), reg, 'ml:1');
  await pushTestImage(await images.zstd(), reg, 'zs:1');
  // A hostile image: layer 1 plants a symlink to /etc, layer 2 writes through it (and hardlinks through it).
  const hostile = buildImage([
    { tar: await tarOf([symlink('sys', '/etc')]) },
    { tar: await tarOf([file('sys/passwd', 'pwned::0:0::/:/bin/sh\n'), hardlink('shadow', 'sys/shadow')]) },
  ]);
  const layout = join(root, 'hostile-layout');
  writeLayout(layout, hostile, 'hostile');
  execFileSync('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${layout}:hostile`, `docker://${reg.host}/evil:1`]);
});
after(async () => {
  await reg.stop();
  images.dispose();
  rmSync(root, { recursive: true, force: true });
});

async function fresh(): Promise<{ home: string; store: ImageStore }> {
  const home = join(root, `home-${++n}`);
  return { home, store: await openStore(home) };
}
const pullOpts = (home: string, store: ImageStore) => ({ store, env: { HOME: home, PODSMITH_HOME: home }, insecure: [reg.host] });

describe('pull then unpack', () => {
  it('pulls busybox and runs it from an assembled rootfs; a second rootfs unpacks nothing', async () => {
    const { home, store } = await fresh();
    await pullImage(`${reg.host}/bb:1`, pullOpts(home, store));
    const events: string[] = [];
    const a = await createRootfs(store, { image: `${reg.host}/bb:1`, dir: join(root, `ctr-${++n}`), onProgress: (e) => e.type === 'unpack-done' && events.push(String(e.cached)) });
    const b = await createRootfs(store, { image: `${reg.host}/bb:1`, dir: join(root, `ctr-${++n}`), onProgress: (e) => e.type === 'unpack-done' && events.push(String(e.cached)) });
    try {
      assert.deepEqual(events, ['false', 'true']);
      for (const r of [a, b]) assert.equal(spawnSync(join(r.path, 'bin/busybox'), ['echo', 'ok'], { encoding: 'utf8' }).stdout, 'ok\n');
    } finally {
      await removeRootfs(store, a.dir);
      await removeRootfs(store, b.dir);
    }
  });

  it('pulls a multi-layer image (whiteouts, opaque dir) and a zstd image', async () => {
    const { home, store } = await fresh();
    await pullImage(`${reg.host}/ml:1`, pullOpts(home, store));
    await pullImage(`${reg.host}/zs:1`, pullOpts(home, store));
    const ml = await createRootfs(store, { image: `${reg.host}/ml:1`, dir: join(root, `ctr-${++n}`) });
    const zs = await createRootfs(store, { image: `${reg.host}/zs:1`, dir: join(root, `ctr-${++n}`) });
    try {
      assert.deepEqual(readdirSync(join(ml.path, 'dir')), ['new']);
      assert.equal(existsSync(join(ml.path, 'a/gone')), false);
      assert.equal(spawnSync(join(zs.path, 'bin/busybox'), ['echo', 'zstd'], { encoding: 'utf8' }).stdout, 'zstd\n');
    } finally {
      await removeRootfs(store, ml.dir);
      await removeRootfs(store, zs.dir);
    }
  });

  it('pulls a hostile image (its bytes are valid) and refuses to unpack it, leaving nothing behind', async () => {
    const { home, store } = await fresh();
    await pullImage(`${reg.host}/evil:1`, pullOpts(home, store));
    const ctr = join(root, 'evil-ctr');
    await assert.rejects(createRootfs(store, { image: `${reg.host}/evil:1`, dir: ctr }), (e: unknown) => {
      assert.ok(e instanceof ImageError);
      assert.equal(e.code, 'HOSTILE_LAYER');
      assert.match(e.message, /entry "sys\/passwd": "sys" is a symlink to the absolute path "\/etc"/);
      return true;
    });
    assert.equal(existsSync(ctr), false);
    assert.ok(!readdirSync(store.paths.layers).some((d) => d.startsWith('.tmp-')));
    assert.equal(readdirSync(store.paths.layers).length, 1, 'only the harmless first layer is cached');
    assert.doesNotMatch(readFileSync('/etc/passwd', 'utf8'), /pwned/);
  });
});

describe('processes pulling into one store at once', () => {
  /** Pullers of the running test: killed after it, so a failed assertion leaves none running. */
  const pullers: ChildProcess[] = [];
  afterEach(async () => {
    await Promise.all(pullers.splice(0).map(killChild));
  });

  function pullInChild(home: string, ref: string): Promise<{ code: number | null; out: string; err: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', WORKER, 'pull', home, ref, reg.host], { cwd: REPO });
      pullers.push(child);
      let out = '';
      let err = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      child.on('close', (code) => resolve({ code, out, err }));
    });
  }

  it('three processes pull the same image while a prune runs: all succeed, the image is intact', async () => {
    const { home, store } = await fresh();
    // The prune starts the moment a pull has begun writing into the store (a partial or its lock in ingest/).
    const writing = entryAppears(store.paths.ingest, () => true, 60_000);
    const pulls = [pullInChild(home, `${reg.host}/bb:1`), pullInChild(home, `${reg.host}/bb:1`), pullInChild(home, `${reg.host}/ml:1`)];
    const pruned = writing.then(() => store.prune({ graceMs: 0, timeoutMs: 60_000 }));
    const results = await Promise.all(pulls);
    for (const r of results) assert.equal(r.code, 0, r.err);
    await pruned;
    assert.deepEqual(readdirSync(store.paths.ingest), [], 'no partial or lock left');
    // After the pulls, a prune must find everything referenced.
    assert.equal((await store.prune({ graceMs: 0 })).blobsRemoved, 0);
    for (const ref of ['bb:1', 'ml:1']) {
      const r = await createRootfs(store, { image: `${reg.host}/${ref}`, dir: join(root, `ctr-${++n}`) });
      try {
        assert.equal(spawnSync(join(r.path, 'bin/busybox'), ['true']).status, 0);
      } finally {
        await removeRootfs(store, r.dir);
      }
    }
  });
});
