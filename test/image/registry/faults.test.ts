// Transfer robustness against a real registry behind a fault-injection proxy: retries on 5xx and 429, resume
// with Range after a cut connection (within a pull and across pulls), corrupt blobs, stalls, the overall
// deadline, size limits, and redirects to blob storage that must not receive the Authorization header nor
// choose where the credentials go (a 401 from storage naming a realm of its own).
import { describe, it, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect, createServer as createNetServer, type AddressInfo } from 'node:net';
import { pullImage, type PullOptions } from '../../../engine/image/pull';
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
let reg: TestRegistry;
let proxy: FaultProxy;
let bb: BuiltImage;
let layer: string;
let h: TestHome;

before(async () => {
  images = await createTestImages();
  reg = await startRegistry();
  proxy = await startFaultProxy(reg);
  bb = await images.busybox();
  layer = bb.manifest!.layers[0].digest;
  await pushTestImage(bb, reg, 'bb:1');
});
after(async () => {
  await proxy.stop();
  await reg.stop();
  images.dispose();
});
beforeEach(async () => {
  proxy.clear();
  h = await tempHome();
});
afterEach(() => h.dispose());

const opts = (extra: Partial<PullOptions> = {}): PullOptions => ({ store: h.store, env: h.env, insecure: [proxy.host], timeouts: FAST_TIMEOUTS, retry: FAST_RETRY, ...extra });
const layerPath = (): RegExp => new RegExp(`/blobs/${layer}$`);

describe('retries', () => {
  it('retries a 500 once and succeeds', async () => {
    proxy.add({ method: 'HEAD', path: /\/manifests\//, fault: { kind: 'status', status: 500 } });
    const rec = recorder();
    const r = await pullImage(`${proxy.host}/bb:1`, opts({ onProgress: rec.onProgress }));
    assert.equal(r.digest, bb.digest);
    assert.equal(proxy.requests.filter((q) => q.method === 'HEAD').length, 2);
    assert.ok(rec.events.some((e) => e.type === 'retry' && /HTTP 500/.test(e.reason)));
  });

  it('retries a 429 with Retry-After on a blob', async () => {
    proxy.add({ method: 'GET', path: layerPath(), fault: { kind: 'status', status: 429, headers: { 'retry-after': '0' } } });
    const rec = recorder();
    await pullImage(`${proxy.host}/bb:1`, opts({ onProgress: rec.onProgress }));
    assert.ok(rec.events.some((e) => e.type === 'retry' && e.digest === layer && /429/.test(e.reason)));
  });

  it('gives up after the configured attempts', async () => {
    proxy.add({ method: 'HEAD', path: /\/manifests\//, fault: { kind: 'status', status: 503 }, times: Infinity });
    await assert.rejects(pullImage(`${proxy.host}/bb:1`, opts()), isCode('REGISTRY_ERROR', /HTTP 503/));
    assert.equal(proxy.requests.filter((q) => q.method === 'HEAD').length, FAST_RETRY.attempts);
  });
});

describe('registry quirks', () => {
  it('falls back to GET when the registry does not implement HEAD on manifests', async () => {
    proxy.add({ method: 'HEAD', path: /\/manifests\//, fault: { kind: 'status', status: 405 } });
    const r = await pullImage(`${proxy.host}/bb:1`, opts());
    assert.equal(r.digest, bb.digest);
    assert.ok(proxy.requests.some((q) => q.method === 'GET' && q.path === '/v2/bb/manifests/1'));
  });

  it('an insecure registry that ignores a TLS hello is reached over HTTP after the idle timeout', async () => {
    // The first connection swallows what it gets (the TLS hello); later ones are piped to the registry.
    let first = true;
    const [rhost, rport] = [reg.host.split(':')[0], Number(reg.host.split(':')[1])];
    const silent = createNetServer((sock) => {
      sock.on('error', () => undefined);
      if (first) {
        first = false;
        sock.resume();
        return;
      }
      const up = connect(rport, rhost);
      up.on('error', () => sock.destroy());
      sock.pipe(up).pipe(sock);
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const host = `127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      const r = await pullImage(`${host}/bb:1`, opts({ insecure: [host], timeouts: { idleMs: 200, totalMs: 30_000 } }));
      assert.equal(r.digest, bb.digest);
    } finally {
      await new Promise((r) => silent.close(r));
    }
  });
});

describe('resume', () => {
  it('resumes a cut blob download with a Range request', async () => {
    proxy.add({ method: 'GET', path: layerPath(), fault: { kind: 'cut', afterBytes: 300_000 } });
    const r = await pullImage(`${proxy.host}/bb:1`, opts());
    assert.equal(r.digest, bb.digest);
    const gets = proxy.requests.filter((q) => q.method === 'GET' && layerPath().test(q.path));
    assert.equal(gets.length, 2);
    assert.equal(gets[0].headers.range, undefined);
    const m = /^bytes=(\d+)-$/.exec(String(gets[1].headers.range));
    assert.ok(m && Number(m[1]) > 0 && Number(m[1]) <= 300_000, `resumed with ${gets[1].headers.range}`);
    assert.deepEqual(readFileSync(h.store.blobs.path(layer)), readLayoutBlob(bb, layer));
  });

  it('keeps a partial download for the next pull, which resumes it', async () => {
    proxy.add({ method: 'GET', path: layerPath(), fault: { kind: 'cut', afterBytes: 400_000 } });
    await assert.rejects(pullImage(`${proxy.host}/bb:1`, opts({ retry: { ...FAST_RETRY, attempts: 1 } })), isCode('NETWORK', /dropped|closed/));
    const partial = statSync(h.store.paths.partial(layer)).size;
    assert.ok(partial > 0 && partial <= 400_000, `partial of ${partial} bytes kept`);
    proxy.clear();
    await pullImage(`${proxy.host}/bb:1`, opts());
    const get = proxy.requests.find((q) => q.method === 'GET' && layerPath().test(q.path));
    assert.equal(get?.headers.range, `bytes=${partial}-`);
    assert.deepEqual(readFileSync(h.store.blobs.path(layer)), readLayoutBlob(bb, layer));
  });
});

describe('integrity and limits', () => {
  it('refuses a corrupt blob: DIGEST_MISMATCH, nothing stored under the digest', async () => {
    proxy.add({ method: 'GET', path: layerPath(), fault: { kind: 'corrupt' }, times: Infinity });
    await assert.rejects(pullImage(`${proxy.host}/bb:1`, opts()), isCode('DIGEST_MISMATCH', new RegExp(layer)));
    assert.equal(await h.store.blobs.has(layer), false);
    assert.throws(() => statSync(h.store.paths.partial(layer)), /ENOENT/, 'no partial kept for bad bytes');
    assert.equal(await h.store.resolveImage(`${proxy.host}/bb:1`), undefined);
  });

  it('refuses a manifest over 1 MiB by its Content-Length and while reading', async () => {
    const big = JSON.stringify({ schemaVersion: 2, pad: 'x'.repeat(1024 * 1024) });
    proxy.add({ method: 'GET', path: /\/manifests\//, fault: { kind: 'status', status: 200, body: big } });
    await assert.rejects(pullImage(`${proxy.host}/bb:1`, opts()), isCode('TOO_LARGE', /limit is 1048576/));
    proxy.add({ method: 'GET', path: /\/manifests\//, fault: { kind: 'status', status: 200, body: big, chunked: true } });
    await assert.rejects(pullImage(`${proxy.host}/bb:1`, opts()), isCode('TOO_LARGE', /larger than the limit of 1048576/));
  });
});

describe('timeouts', () => {
  it('a stalled response fails with TIMEOUT after the idle timeout', async () => {
    proxy.add({ method: 'GET', path: layerPath(), fault: { kind: 'stall' }, times: Infinity });
    // The message says which timeout fired: the idle one, not the 30 s total.
    await assert.rejects(pullImage(`${proxy.host}/bb:1`, opts({ timeouts: { idleMs: 150, totalMs: 30_000 }, retry: { ...FAST_RETRY, attempts: 2 } })), isCode('TIMEOUT', /idle timeout/));
  });

  it('a body that stops mid-way fails with TIMEOUT and keeps the partial', async () => {
    proxy.add({ method: 'GET', path: layerPath(), fault: { kind: 'stall', afterBytes: 200_000 }, times: Infinity });
    await assert.rejects(pullImage(`${proxy.host}/bb:1`, opts({ timeouts: { idleMs: 150, totalMs: 30_000 }, retry: { ...FAST_RETRY, attempts: 1 } })), isCode('TIMEOUT'));
    assert.ok(statSync(h.store.paths.partial(layer)).size > 0);
  });

  it('the whole pull is bounded by the total timeout', async () => {
    proxy.add({ method: 'GET', path: layerPath(), fault: { kind: 'stall' }, times: Infinity });
    await assert.rejects(pullImage(`${proxy.host}/bb:1`, opts({ timeouts: { idleMs: 60_000, totalMs: 300 } })), isCode('TIMEOUT', /did not finish within 0\.3 s/));
  });

  it('a caller signal cancels the pull with ABORTED', async () => {
    proxy.add({ method: 'GET', path: layerPath(), fault: { kind: 'stall' }, times: Infinity });
    const ac = new AbortController();
    const p = pullImage(`${proxy.host}/bb:1`, opts({ signal: ac.signal, onProgress: (e) => e.type === 'blob-start' && e.digest === layer && ac.abort() }));
    await assert.rejects(p, isCode('ABORTED'));
  });
});

describe('redirects', () => {
  let authReg: TestRegistry;
  let authProxy: FaultProxy;
  let storage: Server;
  let storageHost: string;
  const seen: IncomingHttpHeaders[] = [];
  before(async () => {
    authReg = await startRegistry({ auth: 'basic' });
    await pushTestImage(bb, authReg, 'bb:1');
    authProxy = await startFaultProxy(authReg);
    // Blob storage on another origin, serving from the built layout.
    storage = createServer((req, res) => {
      seen.push(req.headers);
      const digest = /\/(sha256:[0-9a-f]{64})$/.exec(req.url ?? '')?.[1];
      if (!digest) return void res.writeHead(404).end();
      const data = readLayoutBlob(bb, digest);
      res.writeHead(200, { 'content-length': String(data.length) }).end(data);
    });
    await new Promise<void>((r) => storage.listen(0, '127.0.0.1', r));
    storageHost = `127.0.0.1:${(storage.address() as AddressInfo).port}`;
  });
  after(async () => {
    storage.closeAllConnections();
    await new Promise((r) => storage.close(r));
    await authProxy.stop();
    await authReg.stop();
  });

  it('follows a redirect to blob storage without sending the Authorization header there', async () => {
    authProxy.add({ method: 'GET', path: /\/blobs\//, fault: { kind: 'redirect', location: (p) => `http://${storageHost}/storage${p}` }, times: Infinity });
    const r = await pullImage(`${authProxy.host}/bb:1`, { ...opts(), insecure: [authProxy.host], credentials: authReg.user });
    assert.equal(r.digest, bb.digest);
    assert.ok(seen.length >= 2, 'config and layer came from storage');
    assert.ok(seen.every((hd) => hd.authorization === undefined), 'no Authorization header left the registry origin');
    const blobGets = authProxy.requests.filter((q) => q.method === 'GET' && q.path.includes('/blobs/'));
    assert.ok(blobGets.every((q) => typeof q.headers.authorization === 'string'), 'the registry itself got credentials');
  });

  describe('a 401 from the redirect target', () => {
    let tokenReg: TestRegistry;
    let tokenProxy: FaultProxy;
    let hostile: Server;
    let hostileHost: string;
    let collector: Server;
    let collectorHost: string;
    const collected: { url: string; headers: IncomingHttpHeaders }[] = [];
    before(async () => {
      tokenReg = await startRegistry({ auth: 'token' });
      await pushTestImage(bb, tokenReg, 'bb:1');
      tokenProxy = await startFaultProxy(tokenReg);
      // A third server that records whatever reaches it: the realm the hostile storage names.
      collector = createServer((req, res) => {
        collected.push({ url: req.url ?? '', headers: req.headers });
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: 'stolen', expires_in: 300 }));
      });
      await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
      collectorHost = `127.0.0.1:${(collector.address() as AddressInfo).port}`;
      // Storage on a second origin that answers every request with a bearer challenge pointing at the collector.
      hostile = createServer((req, res) => {
        req.resume();
        res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${collectorHost}/token",service="evil"`, 'content-length': '0' }).end();
      });
      await new Promise<void>((r) => hostile.listen(0, '127.0.0.1', r));
      hostileHost = `127.0.0.1:${(hostile.address() as AddressInfo).port}`;
    });
    after(async () => {
      for (const srv of [hostile, collector]) {
        srv.closeAllConnections();
        await new Promise((r) => srv.close(r));
      }
      await tokenProxy.stop();
      await tokenReg.stop();
    });
    beforeEach(() => {
      collected.length = 0;
    });

    for (const which of ['token', 'basic'] as const)
      it(`is an error, and no credentials reach the realm it names (${which}-auth registry)`, async () => {
        const [registry, front] = which === 'token' ? [tokenReg, tokenProxy] : [authReg, authProxy];
        front.clear();
        front.add({ method: 'GET', path: /\/blobs\//, fault: { kind: 'redirect', location: (p) => `http://${hostileHost}/storage${p}` }, times: Infinity });
        const failure: unknown = await pullImage(`${front.host}/bb:1`, { ...opts(), insecure: [front.host], credentials: registry.user }).then(
          () => undefined,
          (err: unknown) => err,
        );
        const encoded = Buffer.from(`${registry.user!.username}:${registry.user!.password}`).toString('base64');
        assert.equal(collected.filter((c) => c.headers.authorization?.includes(encoded)).length, 0, "the user's credentials reached the realm the storage named");
        isCode('UNAUTHORIZED', new RegExp(`${hostileHost.replace(/\./g, '\\.')}, where registry ${front.host.replace(/\./g, '\\.')} redirected the request, asks for authentication`))(failure);
        assert.deepEqual(collected, [], 'nothing at all went to that realm');
        assert.ok(front.requests.some((q) => q.path.includes('/blobs/')), 'the pull reached the blob redirect');
        assert.ok(front.requests.every((q) => !String(q.headers.authorization).includes('stolen')), 'no token from the collector came back');
      });
  });
});
