// Text a remote party wrote never reaches the terminal raw: a registry whose error messages and manifests carry
// terminal escape sequences, carriage returns and bidi overrides (a real registry behind the fault proxy, pulled
// with the real `podsmith pull` command), and the CLI's error printing for any other error. Also: a malformed
// credentials file is reported by position, never by quoting its bytes.
import { describe, it, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pullCommand } from '../../../engine/cli/commands/pull';
import type { RegistryCommandDeps } from '../../../engine/cli/commands/registry-command';
import type { Io } from '../../../engine/cli/io';
import { runCommand } from '../../../engine/cli/run-command';
import { saveCredentials } from '../../../engine/image/registry/auth-file';
import { findCredentials } from '../../../engine/image/registry/credentials';
import { safeText } from '../../../engine/text/safe-text';
import { createTestImages, pushTestImage, type TestImages } from '../../support/images';
import { startFaultProxy, startRegistry, type FaultProxy, type TestRegistry } from '../../support/registry';
import { FAST_RETRY, FAST_TIMEOUTS, tempHome, type TestHome } from './setup';

/** What must never reach a terminal from a remote party: C0/C1 controls (but \n), DEL, bidi and zero-width marks. */
const RAW_CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/;
const HOSTILE = '\x1b]0;owned\x07\x1b[2J\rfake prompt$ \u202etxt.exe\x9b31m';

function capture(): { io: Io; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return { io: { out: (s) => void (out += s), err: (s) => void (err += s) }, out: () => out, err: () => err };
}

describe('safeText', () => {
  it('escapes controls, C1, DEL, bidi and zero-width characters visibly, and keeps printable text of any script', () => {
    assert.equal(safeText('a\x1b[31mb\x07c\x7fd\x9be\r\tf'), 'a\\x1b[31mb\\x07c\\x7fd\\x9be\\r\\tf');
    assert.equal(safeText('x\u202ey\u200bz\u2028'), 'x\\u202ey\\u200bz\\u2028');
    assert.equal(safeText('one\ntwo'), 'one\\ntwo');
    assert.equal(safeText('one\ntwo', { multiline: true }), 'one\ntwo');
    assert.equal(safeText('Grüße, 日本語, emoji 😀, sha256:ab'), 'Grüße, 日本語, emoji 😀, sha256:ab');
    assert.equal(safeText(safeText(HOSTILE)), safeText(HOSTILE), 'idempotent');
    assert.doesNotMatch(safeText(HOSTILE, { multiline: true }), RAW_CONTROL);
  });
});

describe('hostile registry text', () => {
  let images: TestImages;
  let reg: TestRegistry;
  let proxy: FaultProxy;
  let h: TestHome;
  let deps: RegistryCommandDeps;
  before(async () => {
    images = await createTestImages();
    reg = await startRegistry();
    await pushTestImage(await images.busybox(), reg, 'bb:1');
    proxy = await startFaultProxy(reg);
    h = await tempHome();
    deps = { env: { ...h.env, PODSMITH_INSECURE_REGISTRIES: proxy.host }, timeouts: FAST_TIMEOUTS, retry: FAST_RETRY, tty: false };
  });
  after(async () => {
    h.dispose();
    await proxy.stop();
    await reg.stop();
    images.dispose();
  });
  beforeEach(() => proxy.clear());

  async function pull(ref: string): Promise<{ code: number; err: string }> {
    const c = capture();
    const code = await pullCommand([ref], c.io, deps);
    return { code, err: c.err() };
  }

  it("a registry error body's escape sequences are shown escaped, not run", async () => {
    const body = JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: HOSTILE }] });
    // HEAD answers carry no body: make the client GET, which reads the error body.
    proxy.add({ method: 'HEAD', path: /\/manifests\//, fault: { kind: 'status', status: 405, body: '' }, times: Infinity });
    proxy.add({ method: 'GET', path: /\/manifests\//, fault: { kind: 'status', status: 404, body }, times: Infinity });
    const r = await pull(`${proxy.host}/bb:1`);
    assert.equal(r.code, 1);
    assert.doesNotMatch(r.err, RAW_CONTROL);
    assert.ok(r.err.includes('MANIFEST_UNKNOWN: \\x1b]0;owned\\x07\\x1b[2J\\rfake prompt$ \\u202etxt.exe\\x9b31m'), r.err);
  });

  it("a manifest's media type with escape sequences is shown escaped in the error", async () => {
    const manifest = JSON.stringify({ schemaVersion: 2, mediaType: `application/vnd.evil${HOSTILE}`, layers: [] });
    proxy.add({ method: 'HEAD', path: /\/manifests\//, fault: { kind: 'status', status: 405, body: '' }, times: Infinity });
    proxy.add({ method: 'GET', path: /\/manifests\//, fault: { kind: 'status', status: 200, body: manifest, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } }, times: Infinity });
    const r = await pull(`${proxy.host}/bb:1`);
    assert.equal(r.code, 1);
    assert.doesNotMatch(r.err, RAW_CONTROL);
    assert.match(r.err, /has media type application\/vnd\.evil\\x1b\]0;owned\\x07/);
  });

  it('the CLI escapes any error it prints, not only image errors', async () => {
    const c = capture();
    const code = await runCommand('exec', 'usage', c.io, async () => {
      throw new Error(`container output: ${HOSTILE}`);
    });
    assert.equal(code, 1);
    assert.doesNotMatch(c.err(), RAW_CONTROL);
    assert.match(c.err(), /^podsmith exec: Error: container output: \\x1b\]0;owned\\x07/);
  });
});

describe('a malformed credentials file', () => {
  let h: TestHome;
  before(async () => {
    h = await tempHome();
  });
  after(() => h.dispose());

  const SECRET = 'hunter2-do-not-print';
  const broken = (): string => `{"auths": {"127.0.0.1:5000": {"auth": "${Buffer.from(`me:${SECRET}`).toString('base64')}"}}, ${SECRET}}`;
  /** Where the syntax error is: the bare word after the auths object. */
  const column = (): number => broken().lastIndexOf(SECRET) + 1;

  it('is named with a line and column when read, and none of its bytes are quoted', () => {
    const file = join(h.home, 'broken-auth.json');
    writeFileSync(file, broken());
    const r = findCredentials('127.0.0.1:5000', 'x', { ...h.env, REGISTRY_AUTH_FILE: file });
    assert.equal(r.credentials, undefined);
    const note = r.notes.find((x) => x.includes(file));
    assert.ok(note, r.notes.join('\n'));
    assert.match(note, new RegExp(`^ignoring .*broken-auth\\.json: not valid JSON at line 1, column ${column()}$`));
    assert.doesNotMatch(r.notes.join('\n'), new RegExp(`${SECRET}|${Buffer.from(`me:${SECRET}`).toString('base64').slice(0, 12)}`));
  });

  it('is named the same way when login would update it', () => {
    mkdirSync(h.home, { recursive: true });
    writeFileSync(join(h.home, 'auth.json'), broken());
    assert.throws(
      () => saveCredentials('127.0.0.1:5000', { username: 'me', password: 'new' }, h.env),
      (err: Error) => {
        assert.match(err.message, new RegExp(`^cannot update .*auth\\.json: not valid JSON at line 1, column ${column()}; fix or remove it$`));
        assert.doesNotMatch(err.message, new RegExp(SECRET));
        return true;
      },
    );
  });
});
