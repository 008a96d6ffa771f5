import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { familiarReference, formatReference, normalizeRegistryHost, parseReference, registryApiHost } from '../../../engine/image/reference';
import { ImageError } from '../../../engine/image/types';

const D = 'sha256:' + 'a'.repeat(64);

describe('image references', () => {
  const ok: [string, string, string, string | undefined, string | undefined][] = [
    // input, registry, repository, tag, digest
    ['nginx', 'docker.io', 'library/nginx', 'latest', undefined],
    ['nginx:1.25', 'docker.io', 'library/nginx', '1.25', undefined],
    ['library/nginx', 'docker.io', 'library/nginx', 'latest', undefined],
    ['docker.io/nginx', 'docker.io', 'library/nginx', 'latest', undefined],
    ['index.docker.io/library/nginx:1', 'docker.io', 'library/nginx', '1', undefined],
    ['bitnami/redis:7.2', 'docker.io', 'bitnami/redis', '7.2', undefined],
    ['ghcr.io/o/r:tag', 'ghcr.io', 'o/r', 'tag', undefined],
    ['ghcr.io/o/sub/r', 'ghcr.io', 'o/sub/r', 'latest', undefined],
    [`host:5000/r@${D}`, 'host:5000', 'r', undefined, D],
    [`host:5000/r:v1@${D}`, 'host:5000', 'r', 'v1', D],
    ['localhost/x', 'localhost', 'x', 'latest', undefined],
    ['localhost:5000/x:y', 'localhost:5000', 'x', 'y', undefined],
    ['127.0.0.1:5000/a/b_c__d-e.f:V_1.2-x', '127.0.0.1:5000', 'a/b_c__d-e.f', 'V_1.2-x', undefined],
    ['[::1]:5000/r', '[::1]:5000', 'r', 'latest', undefined],
    ['Registry/app', 'Registry', 'app', 'latest', undefined],
    ['a---b', 'docker.io', 'library/a---b', 'latest', undefined],
  ];
  for (const [input, registry, repository, tag, digest] of ok) {
    it(`parses ${input}`, () => {
      const r = parseReference(input);
      assert.deepEqual(r, { registry, repository, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}), original: input });
    });
  }

  const bad: [string, RegExp][] = [
    ['', /empty/],
    ['Nginx', /"Nginx" must be lowercase/],
    ['docker.io/Library/nginx', /"Library" must be lowercase/],
    ['nginx:', /tag "" must be/],
    ['nginx:-x', /tag "-x"/],
    ['nginx:' + 'a'.repeat(129), /1 to 128 characters/],
    ['nginx@sha256:abc', /64 lowercase hex/],
    ['nginx@sha256:' + 'A'.repeat(64), /64 lowercase hex/],
    ['nginx@sha512:' + 'a'.repeat(128), /must start with sha256:/],
    ['a//b', /empty component/],
    ['a/b/', /empty component/],
    ['-a', /may only hold/],
    ['a_', /may only hold/],
    ['a...b', /may only hold/],
    ['host:99999/r', /port "99999"/],
    ['ex-.com/r', /not a valid host name/],
    ['ghcr.io/', /repository path is empty/],
    ['nginx latest', /whitespace/],
    ['a/' + 'b'.repeat(600), /bytes; the limit is 512/],
    ['x/' + 'b'.repeat(300), /the limit is 255/],
  ];
  for (const [input, message] of bad) {
    it(`refuses ${JSON.stringify(input.length > 40 ? input.slice(0, 40) + '…' : input)}`, () => {
      assert.throws(
        () => parseReference(input),
        (err: unknown) => err instanceof ImageError && err.code === 'INVALID_REFERENCE' && message.test(err.message),
      );
    });
  }

  it('formats canonical and familiar names', () => {
    assert.equal(formatReference(parseReference('nginx')), 'docker.io/library/nginx:latest');
    assert.equal(familiarReference(parseReference('nginx')), 'nginx:latest');
    assert.equal(familiarReference(parseReference('bitnami/redis:7')), 'bitnami/redis:7');
    assert.equal(formatReference(parseReference(`host:5000/r@${D}`)), `host:5000/r@${D}`);
    assert.equal(familiarReference(parseReference('ghcr.io/o/r:t')), 'ghcr.io/o/r:t');
  });

  it('maps Docker Hub to its API host and normalizes auth-file spellings', () => {
    assert.equal(registryApiHost('docker.io'), 'registry-1.docker.io');
    assert.equal(registryApiHost('ghcr.io'), 'ghcr.io');
    assert.equal(normalizeRegistryHost('https://index.docker.io/v1/'), 'docker.io');
    assert.equal(normalizeRegistryHost('registry-1.docker.io'), 'docker.io');
    assert.equal(normalizeRegistryHost('http://Host:5000/'), 'host:5000');
  });
});
