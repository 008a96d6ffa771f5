// Unit tests of the registry client's pure parts: platforms, challenges, credential files, the insecure policy,
// manifest checks, the auth file written by login.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseChallenges } from '../../../engine/image/registry/challenge';
import { findCredentials } from '../../../engine/image/registry/credentials';
import { removeCredentials, saveCredentials } from '../../../engine/image/registry/auth-file';
import { InsecurePolicy, loadInsecurePolicy } from '../../../engine/image/registry/insecure';
import { checkImageManifest, parseManifest } from '../../../engine/image/registry/manifest';
import { hostPlatform, parsePlatform, selectManifest } from '../../../engine/image/registry/platform';
import { TokenCache } from '../../../engine/image/registry/token';
import { ImageError, type ImageIndex } from '../../../engine/image/types';

const dg = (c: string): string => 'sha256:' + c.repeat(64);
const isCode = (code: string, msg?: RegExp) => (err: unknown) => err instanceof ImageError && err.code === code && (!msg || msg.test(err.message));

describe('platforms', () => {
  it('parses os/arch[/variant] and refuses junk', () => {
    assert.deepEqual(parsePlatform('linux/arm64/v8'), { os: 'linux', architecture: 'arm64', variant: 'v8' });
    assert.deepEqual(parsePlatform('linux/x86_64'), { os: 'linux', architecture: 'amd64' });
    assert.throws(() => parsePlatform('linux'), isCode('INVALID_PLATFORM', /os\/architecture/));
    assert.throws(() => parsePlatform('linux/a/b/c'), isCode('INVALID_PLATFORM'));
  });

  it('knows this host', () => {
    assert.equal(hostPlatform().os, 'linux');
    assert.equal(hostPlatform().architecture, process.arch === 'x64' ? 'amd64' : hostPlatform().architecture);
  });

  const index: ImageIndex = {
    schemaVersion: 2,
    manifests: [
      { mediaType: 'm', digest: dg('1'), size: 1, platform: { os: 'linux', architecture: 'amd64' } },
      { mediaType: 'm', digest: dg('2'), size: 1, platform: { os: 'linux', architecture: 'arm', variant: 'v6' } },
      { mediaType: 'm', digest: dg('3'), size: 1, platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
      { mediaType: 'm', digest: dg('4'), size: 1, platform: { os: 'linux', architecture: 'arm64' } },
      { mediaType: 'm', digest: dg('5'), size: 1, platform: { os: 'unknown', architecture: 'unknown' } },
    ],
  };
  it('selects by os, architecture and variant (with arm defaults)', () => {
    assert.equal(selectManifest(index, { os: 'linux', architecture: 'amd64' }).digest, dg('1'));
    assert.equal(selectManifest(index, { os: 'linux', architecture: 'arm64', variant: 'v8' }).digest, dg('4'));
    assert.equal(selectManifest(index, { os: 'linux', architecture: 'arm' }).digest, dg('3'));
    assert.equal(selectManifest(index, { os: 'linux', architecture: 'arm', variant: 'v6' }).digest, dg('2'));
    assert.throws(() => selectManifest(index, { os: 'linux', architecture: 's390x' }), isCode('NOT_FOUND', /available: linux\/amd64, linux\/arm\/v6/));
  });
});

describe('WWW-Authenticate', () => {
  it('parses bearer and basic challenges', () => {
    const [b] = parseChallenges('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"');
    assert.deepEqual(b, { scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push' } });
    const list = parseChallenges('Basic realm="Registry Realm", Bearer realm="https://x/t", error="insufficient_scope"');
    assert.deepEqual(
      list.map((c) => c.scheme),
      ['basic', 'bearer'],
    );
    assert.equal(list[1].params.error, 'insufficient_scope');
    assert.deepEqual(parseChallenges('Basic realm=unquoted'), [{ scheme: 'basic', params: { realm: 'unquoted' } }]);
    assert.deepEqual(parseChallenges(undefined), []);
  });
});

describe('credential files', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'podsmith-creds-'));
    env = { HOME: join(dir, 'home'), PODSMITH_HOME: join(dir, 'ps') };
    mkdirSync(join(dir, 'home', '.docker'), { recursive: true });
    mkdirSync(join(dir, 'home', '.config', 'containers'), { recursive: true });
    writeFileSync(
      join(dir, 'home', '.docker', 'config.json'),
      JSON.stringify({
        auths: { 'https://index.docker.io/v1/': { auth: b64('hubuser:hubpass') }, 'other.example': {} },
        credsStore: 'desktop',
      }),
    );
    writeFileSync(
      join(dir, 'home', '.config', 'containers', 'auth.json'),
      JSON.stringify({ auths: { 'quay.example': { auth: b64('q:1') }, 'quay.example/team': { username: 't', password: 'p:with:colons' } } }),
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads Docker Hub entries under their legacy key', () => {
    const r = findCredentials('docker.io', 'library/nginx', env);
    assert.deepEqual(r.credentials, { username: 'hubuser', password: 'hubpass' });
    assert.match(r.source!, /\.docker\/config\.json$/);
  });

  it('prefers the most specific containers auth.json key', () => {
    assert.deepEqual(findCredentials('quay.example', 'team/app', env).credentials, { username: 't', password: 'p:with:colons' });
    assert.deepEqual(findCredentials('quay.example', 'other/app', env).credentials, { username: 'q', password: '1' });
  });

  it('notes a credential helper it cannot use, without any secret', () => {
    const r = findCredentials('other.example', 'x', env);
    assert.equal(r.credentials, undefined);
    assert.match(r.notes.join('\n'), /docker-credential-desktop.*podsmith login other\.example/);
  });

  it('REGISTRY_AUTH_FILE and podsmith login files come first', () => {
    const file = join(dir, 'custom-auth.json');
    writeFileSync(file, JSON.stringify({ auths: { 'docker.io': { auth: b64('custom:c') } } }));
    assert.equal(findCredentials('docker.io', 'x', { ...env, REGISTRY_AUTH_FILE: file }).credentials?.username, 'custom');
    const written = saveCredentials('https://index.docker.io/v1/', { username: 'mine', password: 's3cret' }, env);
    try {
      assert.equal(statSync(written).mode & 0o777, 0o600);
      assert.deepEqual(JSON.parse(readFileSync(written, 'utf8')), { auths: { 'docker.io': { auth: b64('mine:s3cret') } } });
      assert.equal(findCredentials('docker.io', 'x', { ...env, REGISTRY_AUTH_FILE: file }).credentials?.username, 'mine');
    } finally {
      assert.equal(removeCredentials('docker.io', env), true);
      assert.equal(removeCredentials('docker.io', env), false);
    }
  });
});

describe('insecure registries', () => {
  it('combines flags, environment and registries.json; a host entry covers its ports', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podsmith-insecure-'));
    try {
      writeFileSync(join(dir, 'registries.json'), JSON.stringify({ insecureRegistries: ['cfg.example:5000'] }));
      const p = loadInsecurePolicy({ flags: ['flag.example'], env: { PODSMITH_HOME: dir, PODSMITH_INSECURE_REGISTRIES: 'env.example:1, other:2' } });
      assert.ok(p.allows('flag.example:443'));
      assert.ok(p.allows('env.example:1'));
      assert.ok(!p.allows('env.example:2'));
      assert.ok(p.allows('cfg.example:5000'));
      assert.ok(!p.allows('docker.io'));
      writeFileSync(join(dir, 'registries.json'), '{"insecureRegistries": "oops"}');
      assert.throws(() => loadInsecurePolicy({ env: { PODSMITH_HOME: dir } }), isCode('CONFIG', /list of "host\[:port\]"/));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    assert.ok(!new InsecurePolicy([]).allows('127.0.0.1:5000'), 'loopback is not insecure by default');
  });
});

describe('manifest checks', () => {
  const layer = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: dg('b'), size: 10 };
  const manifest = (layers: object[], extra: object = {}): Buffer =>
    Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: dg('c'), size: 2 }, layers, ...extra }));

  it('accepts a manifest and an index, typed by their mediaType or shape', () => {
    assert.equal(parseManifest(manifest([layer]), '', 'm').kind, 'manifest');
    const idx = Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [] }));
    assert.equal(parseManifest(idx, '', 'i').kind, 'index');
  });

  it('refuses schema 1, other digests, too many or too large layers, unknown layer types', () => {
    assert.throws(() => parseManifest(Buffer.from('{"schemaVersion":1}'), '', 'm'), isCode('UNSUPPORTED', /schema 1/));
    assert.throws(() => parseManifest(manifest([{ ...layer, digest: 'sha512:' + 'a'.repeat(128) }]), '', 'm'), isCode('UNSUPPORTED', /only sha256/));
    assert.throws(() => parseManifest(manifest([{ ...layer, size: -1 }]), '', 'm'), isCode('INVALID_MANIFEST'));
    assert.throws(() => parseManifest(Buffer.from('nope'), '', 'm'), isCode('INVALID_MANIFEST', /not JSON/));
    const check = (buf: Buffer): void => {
      const doc = parseManifest(buf, '', 'm');
      if (doc.kind === 'manifest') checkImageManifest(doc.manifest, 'm');
    };
    assert.throws(() => check(manifest(Array(129).fill(layer))), isCode('TOO_LARGE', /129 layers; the limit is 128/));
    assert.throws(() => check(manifest([{ ...layer, size: 512 * 1024 * 1024 + 1 }])), isCode('TOO_LARGE', /the limit is 536870912/));
    assert.throws(() => check(manifest([{ ...layer, mediaType: 'application/x-foo' }])), isCode('UNSUPPORTED', /cannot unpack/));
    assert.doesNotThrow(() => check(manifest(Array(128).fill(layer))));
  });
});

describe('token cache', () => {
  it('shares one fetch between concurrent callers and refetches after expiry or invalidation', async () => {
    const cache = new TokenCache();
    let fetches = 0;
    const fetch = async (): Promise<{ token: string; expiresAt: number }> => ({ token: `t${++fetches}`, expiresAt: Date.now() + 60_000 });
    const [a, b] = await Promise.all([cache.get('k', fetch), cache.get('k', fetch)]);
    assert.equal(a, 't1');
    assert.equal(b, 't1');
    cache.invalidate('k');
    assert.equal(await cache.get('k', fetch), 't2');
    assert.equal(await cache.get('expired', async () => ({ token: 'old', expiresAt: Date.now() - 1 })), 'old');
    assert.equal(await cache.get('expired', fetch), 't3');
  });
});
