// pushImage against real registries: an index with all its platforms, skipping blobs the registry has, and a
// clear error for an index whose manifests are not all stored.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pullImage } from '../../../engine/image/pull';
import { pushImage } from '../../../engine/image/registry/push-image';
import { ImageError } from '../../../engine/image/types';
import { createTestImages, pushTestImage, type BuiltImage, type TestImages } from '../../support/images';
import { startFaultProxy, startRegistry, type FaultProxy, type TestRegistry } from '../../support/registry';
import { FAST_RETRY, FAST_TIMEOUTS, recorder, tempHome, type TestHome } from './setup';

describe('pushImage', () => {
  let images: TestImages;
  let src: TestRegistry;
  let dst: TestRegistry;
  let proxy: FaultProxy;
  let h: TestHome;
  let ma: BuiltImage;
  const opts = () => ({ store: h.store, env: h.env, insecure: [src.host, dst.host, proxy.host], timeouts: FAST_TIMEOUTS, retry: FAST_RETRY });

  before(async () => {
    images = await createTestImages();
    [src, dst] = await Promise.all([startRegistry(), startRegistry()]);
    proxy = await startFaultProxy(dst);
    ma = await images.multiArch();
    await pushTestImage(ma, src, 'ma:1');
    h = await tempHome();
  });
  after(async () => {
    await proxy.stop();
    await Promise.all([src.stop(), dst.stop()]);
    images.dispose();
    h.dispose();
  });

  it('refuses to push an index whose manifests are not all in the store', async () => {
    const r = await pullImage(`${src.host}/ma:1`, opts());
    await assert.rejects(
      pushImage(r.indexDigest!, `${dst.host}/ma:1`, opts()),
      (e: unknown) => e instanceof ImageError && e.code === 'NOT_FOUND' && /index whose manifests .* are not in the image store/.test(e.message),
    );
  });

  it('pushes a whole index once every platform is stored, and it pulls back identically', async () => {
    for (const p of ['linux/arm64', 'linux/arm/v7']) await pullImage(`${src.host}/ma:1`, { ...opts(), platform: p });
    const rec = recorder();
    const pushed = await pushImage(ma.digest, `${proxy.host}/copy/ma:2`, { ...opts(), onProgress: rec.onProgress });
    assert.equal(pushed.digest, ma.digest);
    // amd64 (config + busybox layer), arm64 and arm/v7 (config + layer each).
    assert.equal(pushed.uploaded, 6);
    const manifestPuts = proxy.requests.filter((q) => q.method === 'PUT' && q.path.includes('/manifests/')).map((q) => q.path);
    assert.deepEqual(manifestPuts, [...ma.platforms!.map((m) => `/v2/copy/ma/manifests/${m.digest}`), '/v2/copy/ma/manifests/2']);

    const fresh = await tempHome();
    try {
      const back = await pullImage(`${dst.host}/copy/ma:2`, { ...opts(), store: fresh.store, env: fresh.env, platform: 'linux/arm64' });
      assert.equal(back.indexDigest, ma.digest);
      assert.equal(back.digest, ma.platforms![1].digest);
    } finally {
      fresh.dispose();
    }
  });

  it('skips every blob on a second push (HEAD), uploading nothing', async () => {
    proxy.clear();
    const r = await pushImage(ma.digest, `${proxy.host}/copy/ma:3`, opts());
    assert.equal(r.uploaded, 0);
    assert.equal(r.skipped, 6);
    assert.ok(!proxy.requests.some((q) => q.method === 'POST' || (q.method === 'PUT' && q.path.includes('/blobs/'))));
  });

  it('retries a failed blob upload', async () => {
    proxy.clear();
    proxy.add({ method: 'PUT', path: /\/blobs\/uploads\//, fault: { kind: 'status', status: 502 } });
    const r = await pushImage(ma.digest, `${proxy.host}/other/ma:1`, opts());
    assert.equal(r.uploaded, 6);
    assert.equal(proxy.requests.filter((q) => q.fault === 'status').length, 1);
  });
});
