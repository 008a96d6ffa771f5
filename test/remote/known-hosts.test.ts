// known_hosts as OpenSSH writes and reads it: hashed names (checked against ssh-keygen -H and -F), [host]:port,
// @revoked, @cert-authority, a broken line that breaks nothing else, and fingerprints as ssh-keygen prints them.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { appendKnownHost, fingerprint, KnownHosts, knownHostsName } from '../../engine/remote/known-hosts';
import { keygen } from './support/sshd';

let dir: string;
let keyA: Buffer;
let keyB: Buffer;
let lineA: string;
let lineB: string;
before(() => {
  dir = mkdtempSync('/tmp/podsmith-kh-');
  lineA = keygen(join(dir, 'a'));
  lineB = keygen(join(dir, 'b'), 'ecdsa');
  keyA = Buffer.from(lineA.split(' ')[1], 'base64');
  keyB = Buffer.from(lineB.split(' ')[1], 'base64');
});
after(() => rmSync(dir, { recursive: true, force: true }));

const entry = (line: string): string => line.split(' ').slice(0, 2).join(' ');

describe('known_hosts', () => {
  it('prints fingerprints as ssh-keygen -l does', () => {
    const out = execFileSync('ssh-keygen', ['-lf', join(dir, 'a.pub')], { encoding: 'utf8' });
    assert.equal(out.split(' ')[1], fingerprint(keyA));
  });

  it('finds plain and port-qualified names, and nothing else', () => {
    const file = join(dir, 'plain');
    writeFileSync(file, `h1,h2 ${entry(lineA)}\n[h3]:2222 ${entry(lineA)}\n10.0.0.* ${entry(lineB)}\n`);
    const kh = new KnownHosts([file]);
    assert.equal(kh.check('h2', 22, keyA).status, 'known');
    assert.equal(kh.check('h3', 2222, keyA).status, 'known');
    assert.equal(kh.check('h3', 22, keyA).status, 'unknown', 'port 22 is not [h3]:2222');
    assert.equal(kh.check('h1', 2222, keyA).status, 'unknown', '[h1]:2222 is not h1');
    assert.equal(kh.check('10.0.0.7', 22, keyB).status, 'known');
    const changed = kh.check('h1', 22, keyB);
    assert.equal(changed.status, 'changed');
    assert.deepEqual(kh.knownTypes('h1', 22), ['ssh-ed25519']);
  });

  it('reads names hashed by ssh-keygen -H', () => {
    const file = join(dir, 'hashed');
    writeFileSync(file, `plainhost ${entry(lineA)}\n[porty]:2022 ${entry(lineB)}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
    assert.doesNotMatch(readFileSync(file, 'utf8'), /plainhost|porty/);
    const kh = new KnownHosts([file]);
    assert.equal(kh.check('plainhost', 22, keyA).status, 'known');
    assert.equal(kh.check('porty', 2022, keyB).status, 'known');
    assert.equal(kh.check('porty', 2022, keyA).status, 'changed');
    assert.equal(kh.check('other', 22, keyA).status, 'unknown');
  });

  it('appends hashed lines that OpenSSH finds (ssh-keygen -F), creating the file 0600', () => {
    const file = join(dir, 'sub', 'known_hosts');
    appendKnownHost(file, '127.0.1.9', 2200, keyA);
    appendKnownHost(file, 'named', 22, keyB);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.doesNotMatch(readFileSync(file, 'utf8'), /127\.0\.1\.9|named/);
    for (const [name, key] of [['[127.0.1.9]:2200', lineA], ['named', lineB]]) {
      const r = spawnSync('ssh-keygen', ['-F', name, '-f', file], { encoding: 'utf8' });
      assert.equal(r.status, 0, `ssh-keygen -F ${name}`);
      assert.match(r.stdout, new RegExp(key.split(' ')[1].replace(/[+/]/g, '\\$&')));
    }
    assert.equal(knownHostsName('127.0.1.9', 2200), '[127.0.1.9]:2200');
    assert.equal(new KnownHosts([file]).check('127.0.1.9', 2200, keyA).status, 'known');
  });

  it('refuses @revoked keys, skips @cert-authority lines, and survives broken lines', () => {
    const file = join(dir, 'marked');
    writeFileSync(
      file,
      [
        'garbage',
        `@cert-authority *.example ${entry(lineB)}`,
        `@bogus h ${entry(lineA)}`,
        `h ssh-ed25519 !!!notbase64`,
        `h ssh-rsa ${lineA.split(' ')[1]}`, // a key that is not of the type it claims
        `revokedhost ${entry(lineA)}`,
        `@revoked * ${entry(lineA)}`,
        `good ${entry(lineB)}`,
      ].join('\n'),
    );
    const kh = new KnownHosts([file]);
    assert.equal(kh.check('revokedhost', 22, keyA).status, 'revoked');
    assert.equal(kh.check('anything', 22, keyA).status, 'revoked');
    assert.equal(kh.check('x.example', 22, keyB).status, 'unknown', 'a CA line is not a host key');
    assert.equal(kh.check('good', 22, keyB).status, 'known');
    assert.deepEqual(
      kh.warnings.map((w) => w.replace(`${file}:`, '')),
      ['1: not a known_hosts line (hosts keytype base64-key); skipped', '3: unknown marker @bogus; line skipped', '4: not a known_hosts line (hosts keytype base64-key); skipped', '5: the key does not match its type ssh-rsa; skipped'],
    );
  });

  it('reads several files, and a missing one is empty', () => {
    const f1 = join(dir, 'one');
    writeFileSync(f1, `a ${entry(lineA)}\n`);
    const kh = new KnownHosts([join(dir, 'missing'), f1]);
    assert.equal(kh.check('a', 22, keyA).status, 'known');
    assert.deepEqual(kh.warnings, []);
  });
});
