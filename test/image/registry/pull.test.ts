// Pulls from real registries (Debian's docker-registry on loopback): plain, basic auth and token auth; image
// indexes and Docker manifest lists; zstd layers; warm pulls.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { pullImage } from '../../../engine/image/pull';
import { saveCredentials } from '../../../engine/image/registry/auth-file';
import { TokenCache } from '../../../engine/image/registry/token';
import { ImageError } from '../../../engine/image/types';
import { createTestImages, pushTestImage, readLayoutBlob, type BuiltImage, type TestImages } from '../../support/images';
import { startFaultProxy, startRegistry, type FaultProxy, type TestRegistry } from '../../support/registry';
import { FAST_RETRY, FAST_TIMEOUTS, recorder, tempHome, type TestHome } from './setup';

const isCode = (code: string, msg?: RegExp) => (err: unknown) => {
  assert.ok(err instanceof ImageError, `expected ImageError, got ${String(err)}`);
  assert.equal(err.code, code, err.message);
  if (msg) assert.match(err.message, msg);
  return true;
};

let images: TestImages;
before(async () => {
  images = await createTestImages();
});
after(() => images.dispose());

describe('pull from a plain registry', () => {
  let reg: TestRegistry;
  let h: TestHome;
  let bb: BuiltImage;
  let ma: BuiltImage;
  let dl: BuiltImage;
  const opts = () => ({ store: h.store, env: h.env, insecure: [reg.host], timeouts: FAST_TIMEOUTS, retry: FAST_RETRY });

  before(async () => {
    reg = await startRegistry();
    h = await tempHome();
    bb = await images.busybox();
    ma = await images.multiArch();
    dl = await images.dockerList();
    await pushTestImage(bb, reg, 'bb:1');
    await pushTestImage(await images.multiLayer(), reg, 'ml:1');
    await pushTestImage(ma, reg, 'ma:1');
    await pushTestImage(dl, reg, 'dl:1');
    await pushTestImage(await images.zstd(), reg, 'zs:1');
  });
  after(async () => {
    await reg.stop();
    h.dispose();
  });

  it('pulls an image into the store and names it', async () => {
    const rec = recorder();
    const r = await pullImage(`${reg.host}/bb:1`, { ...opts(), onProgress: rec.onProgress });
    assert.equal(r.digest, bb.digest);
    assert.equal(r.name, `${reg.host}/bb:1`);
    assert.deepEqual(r.config.config?.Cmd, ['/bin/sh']);
    assert.equal(r.downloadedBytes, bb.manifest!.configDescriptor.size + bb.manifest!.layers[0].size);
    const layer = bb.manifest!.layers[0];
    assert.deepEqual(readFileSync(h.store.blobs.path(layer.digest)), readLayoutBlob(bb, layer.digest));
    assert.equal(await h.store.resolveImage(`${reg.host}/bb:1`), bb.digest);
    const types = rec.events.map((e) => e.type);
    assert.equal(types[0], 'resolve');
    assert.equal(types.at(-1), 'done');
    assert.ok(types.includes('blob-start') && types.includes('blob-progress') && types.includes('blob-done'));
  });

  it('pulls by digest and verifies it', async () => {
    const r = await pullImage(`${reg.host}/bb@${bb.digest}`, opts());
    assert.equal(r.digest, bb.digest);
    assert.equal(await h.store.resolveImage(`${reg.host}/bb@${bb.digest}`), bb.digest);
  });

  it('pulls a multi-layer image with every layer stored', async () => {
    const ml = await images.multiLayer();
    const r = await pullImage(`${reg.host}/ml:1`, opts());
    assert.equal(r.manifest.layers.length, 3);
    for (const l of ml.manifest!.layers) assert.ok(await h.store.blobs.has(l.digest), l.digest);
  });

  it('picks this host (linux/amd64) from an OCI index by default', async () => {
    const r = await pullImage(`${reg.host}/ma:1`, opts());
    assert.equal(r.indexDigest, ma.digest);
    assert.equal(r.digest, ma.platforms![0].digest);
    assert.equal(r.config.architecture, 'amd64');
    assert.ok(await h.store.blobs.has(ma.digest), 'the index is stored too');
  });

  it('honours --platform linux/arm64 and linux/arm/v7', async () => {
    const arm64 = await pullImage(`${reg.host}/ma:1`, { ...opts(), platform: 'linux/arm64' });
    assert.equal(arm64.digest, ma.platforms![1].digest);
    assert.deepEqual(arm64.warnings, []);
    const armv7 = await pullImage(`${reg.host}/ma:1`, { ...opts(), platform: 'linux/arm/v7' });
    assert.equal(armv7.digest, ma.platforms![2].digest);
    await assert.rejects(pullImage(`${reg.host}/ma:1`, { ...opts(), platform: 'linux/s390x' }), isCode('NOT_FOUND', /available: linux\/amd64, linux\/arm64\/v8, linux\/arm\/v7/));
  });

  it('handles a Docker v2 manifest list', async () => {
    const r = await pullImage(`${reg.host}/dl:1`, { ...opts(), platform: 'linux/arm64/v8' });
    assert.equal(r.indexDigest, dl.digest);
    assert.equal(r.digest, dl.platforms![1].digest);
    assert.equal(r.manifest.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
    const amd = await pullImage(`${reg.host}/dl:1`, opts());
    assert.equal(amd.digest, dl.platforms![0].digest);
  });

  it('pulls a zstd-compressed layer', async () => {
    const zs = await images.zstd();
    const r = await pullImage(`${reg.host}/zs:1`, opts());
    assert.equal(r.manifest.layers[0].mediaType, 'application/vnd.oci.image.layer.v1.tar+zstd');
    assert.ok(await h.store.blobs.has(zs.manifest!.layers[0].digest));
  });

  it('reports a missing image or tag as NOT_FOUND', async () => {
    await assert.rejects(pullImage(`${reg.host}/nope:1`, opts()), isCode('NOT_FOUND'));
    await assert.rejects(pullImage(`${reg.host}/bb:nope`, opts()), isCode('NOT_FOUND'));
    await assert.rejects(pullImage(`${reg.host}/bb@sha256:${'0'.repeat(64)}`, opts()), isCode('NOT_FOUND'));
  });

  describe('warm pulls', () => {
    let proxy: FaultProxy;
    let warm: TestHome;
    before(async () => {
      proxy = await startFaultProxy(reg);
      warm = await tempHome();
    });
    after(async () => {
      await proxy.stop();
      warm.dispose();
    });

    it('only re-resolve the manifest when every blob is stored', async () => {
      const o = { store: warm.store, env: warm.env, insecure: [proxy.host], timeouts: FAST_TIMEOUTS, retry: FAST_RETRY };
      const cold = await pullImage(`${proxy.host}/bb:1`, o);
      assert.ok(proxy.requests.some((r) => r.path.includes('/blobs/')));
      proxy.clear();
      const rec = recorder();
      const again = await pullImage(`${proxy.host}/bb:1`, { ...o, onProgress: rec.onProgress });
      assert.equal(again.digest, cold.digest);
      assert.equal(again.downloadedBytes, 0);
      assert.deepEqual(
        proxy.requests.map((r) => `${r.method} ${r.path}`),
        ['GET /v2/', 'HEAD /v2/bb/manifests/1'],
        'one probe and one HEAD, no GET of manifest or blobs',
      );
      assert.ok(rec.events.filter((e) => e.type === 'blob-done').every((e) => e.type === 'blob-done' && e.cached));
    });
  });
});

describe('pull with basic auth', () => {
  let reg: TestRegistry;
  let h: TestHome;
  before(async () => {
    reg = await startRegistry({ auth: 'basic' });
    h = await tempHome();
    await pushTestImage(await images.busybox(), reg, 'private/bb:1');
  });
  after(async () => {
    await reg.stop();
    h.dispose();
  });
  const opts = () => ({ store: h.store, env: h.env, insecure: [reg.host], timeouts: FAST_TIMEOUTS, retry: FAST_RETRY });

  it('uses credentials stored by login', async () => {
    saveCredentials(reg.host, reg.user!, h.env);
    const r = await pullImage(`${reg.host}/private/bb:1`, opts());
    assert.equal(r.digest, (await images.busybox()).digest);
  });

  it('says clearly that wrong credentials were refused, without the password', async () => {
    const err = await pullImage(`${reg.host}/private/bb:1`, { ...opts(), credentials: { username: reg.user!.username, password: 'wrong-password-123' } }).catch((e: unknown) => e);
    isCode('UNAUTHORIZED', new RegExp(`rejected the credentials of user "${reg.user!.username}".*podsmith login ${reg.host}`))(err);
    assert.doesNotMatch((err as Error).message, /wrong-password-123/);
  });

  it('tells an anonymous client to log in', async () => {
    await assert.rejects(pullImage(`${reg.host}/private/bb:1`, { ...opts(), credentials: null }), isCode('UNAUTHORIZED', /requires authentication.*podsmith login/));
  });
});

describe('pull with token auth', () => {
  let reg: TestRegistry;
  let h: TestHome;
  before(async () => {
    reg = await startRegistry({ auth: 'token' });
    h = await tempHome();
    await pushTestImage(await images.busybox(), reg, 'team/bb:1');
    await pushTestImage(await images.multiArch(), reg, 'team/ma:1');
  });
  after(async () => {
    await reg.stop();
    h.dispose();
  });
  const opts = () => ({ store: h.store, env: h.env, insecure: [reg.host], timeouts: FAST_TIMEOUTS, retry: FAST_RETRY });

  it('fetches a scoped token with the credentials and caches it per scope', async () => {
    const tokens = new TokenCache();
    reg.token!.requests.length = 0;
    const r = await pullImage(`${reg.host}/team/bb:1`, { ...opts(), credentials: reg.user, tokenCache: tokens });
    assert.equal(r.digest, (await images.busybox()).digest);
    assert.deepEqual(reg.token!.requests, [{ account: reg.user!.username, scopes: ['repository:team/bb:pull'], authenticated: true }]);
    await pullImage(`${reg.host}/team/bb:1`, { ...opts(), credentials: reg.user, tokenCache: tokens });
    assert.equal(reg.token!.requests.length, 1, 'the cached token is reused');
    await pullImage(`${reg.host}/team/ma:1`, { ...opts(), credentials: reg.user, tokenCache: tokens });
    assert.deepEqual(reg.token!.requests[1].scopes, ['repository:team/ma:pull'], 'another repository needs its own scope');
  });

  it('refuses wrong credentials with UNAUTHORIZED and a login hint', async () => {
    await assert.rejects(
      pullImage(`${reg.host}/team/bb:1`, { ...opts(), credentials: { username: 'podsmith', password: 'nope' }, tokenCache: new TokenCache() }),
      isCode('UNAUTHORIZED', /rejected the credentials of user "podsmith".*podsmith login/),
    );
  });

  it('an anonymous token without access ends in UNAUTHORIZED', async () => {
    await assert.rejects(pullImage(`${reg.host}/team/bb:1`, { ...opts(), credentials: null, tokenCache: new TokenCache() }), isCode('UNAUTHORIZED', /requires authentication/));
  });
});
