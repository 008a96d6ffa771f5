// Plain HTTP only for registries the user marked insecure, and never as a silent fallback.
import { describe, it, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pullImage } from '../../../engine/image/pull';
import { ImageError } from '../../../engine/image/types';
import { createTestImages, pushTestImage, type TestImages } from '../../support/images';
import { startFaultProxy, startRegistry, type FaultProxy, type TestRegistry } from '../../support/registry';
import { FAST_RETRY, FAST_TIMEOUTS, tempHome, type TestHome } from './setup';

describe('insecure registry policy', () => {
  let images: TestImages;
  let plain: TestRegistry;
  let tls: TestRegistry;
  let proxy: FaultProxy;
  let h: TestHome;
  let digest: string;

  before(async () => {
    images = await createTestImages();
    [plain, tls] = await Promise.all([startRegistry(), startRegistry({ tls: true })]);
    proxy = await startFaultProxy(plain);
    const bb = await images.busybox();
    digest = bb.digest;
    await pushTestImage(bb, plain, 'bb:1');
    await pushTestImage(bb, tls, 'bb:1');
  });
  after(async () => {
    await proxy.stop();
    await Promise.all([plain.stop(), tls.stop()]);
    images.dispose();
  });
  beforeEach(async () => {
    proxy.clear();
    h = await tempHome();
  });
  afterEach(() => h.dispose());

  const base = () => ({ store: h.store, timeouts: FAST_TIMEOUTS, retry: FAST_RETRY });

  it('refuses a plain-HTTP registry that is not marked insecure and says how to allow it', async () => {
    const err = await pullImage(`${plain.host}/bb:1`, { ...base(), env: h.env }).catch((e: unknown) => e);
    assert.ok(err instanceof ImageError);
    assert.equal(err.code, 'TLS');
    assert.match(err.message, /did not answer in TLS \(it may speak plain HTTP\)/);
    assert.ok(err.message.includes(`--insecure-registry ${plain.host}`), err.message);
    assert.ok(err.message.includes(`PODSMITH_INSECURE_REGISTRIES=${plain.host}`));
    assert.match(err.message, /registries\.json/);
  });

  it('never falls back to HTTP by itself: not one plain request reaches the registry', async () => {
    await assert.rejects(pullImage(`${proxy.host}/bb:1`, { ...base(), env: h.env }), (e: unknown) => e instanceof ImageError && e.code === 'TLS');
    assert.deepEqual(proxy.requests, []);
  });

  it('allows it through PODSMITH_INSECURE_REGISTRIES', async () => {
    const r = await pullImage(`${plain.host}/bb:1`, { ...base(), env: { ...h.env, PODSMITH_INSECURE_REGISTRIES: `other:1,${plain.host}` } });
    assert.equal(r.digest, digest);
  });

  it('allows it through $PODSMITH_HOME/registries.json', async () => {
    writeFileSync(join(h.home, 'registries.json'), JSON.stringify({ insecureRegistries: [plain.host] }));
    const r = await pullImage(`${plain.host}/bb:1`, { ...base(), env: h.env });
    assert.equal(r.digest, digest);
  });

  it('refuses an HTTPS registry with an untrusted certificate unless marked insecure, then stays on HTTPS', async () => {
    await assert.rejects(
      pullImage(`${tls.host}/bb:1`, { ...base(), env: h.env }),
      (e: unknown) => e instanceof ImageError && e.code === 'TLS' && /certificate not trusted/.test(e.message) && e.message.includes(`--insecure-registry ${tls.host}`),
    );
    // The registry speaks only TLS, so success means HTTPS without verification, not a plain-HTTP fallback.
    const r = await pullImage(`${tls.host}/bb:1`, { ...base(), env: h.env, insecure: [tls.host] });
    assert.equal(r.digest, digest);
  });
});
