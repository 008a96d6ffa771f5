// `podsmith pull`, `login`, `logout` and `push` as commands: output, progress and exit codes (0 ok, 1 failure,
// 2 usage), against real registries.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loginCommand, logoutCommand } from '../../../engine/cli/commands/login';
import { pullCommand } from '../../../engine/cli/commands/pull';
import { pushCommand } from '../../../engine/cli/commands/push';
import type { RegistryCommandDeps } from '../../../engine/cli/commands/registry-command';
import type { Io } from '../../../engine/cli/io';
import { createTestImages, pushTestImage, type BuiltImage, type TestImages } from '../../support/images';
import { startRegistry, type TestRegistry } from '../../support/registry';
import { FAST_RETRY, FAST_TIMEOUTS, tempHome, type TestHome } from './setup';

type Command = (argv: string[], io: Io, deps?: RegistryCommandDeps) => Promise<number>;

async function run(cmd: Command, args: string[], deps: RegistryCommandDeps): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: (s) => void (out += s), err: (s) => void (err += s) };
  const code = await cmd(args, io, { timeouts: FAST_TIMEOUTS, retry: FAST_RETRY, tty: false, ...deps });
  return { code, out, err };
}

describe('podsmith pull / login / push', () => {
  let images: TestImages;
  let src: TestRegistry;
  let dst: TestRegistry;
  let auth: TestRegistry;
  let h: TestHome;
  let bb: BuiltImage;
  let deps: RegistryCommandDeps;

  before(async () => {
    images = await createTestImages();
    [src, dst, auth] = await Promise.all([startRegistry(), startRegistry(), startRegistry({ auth: 'basic' })]);
    bb = await images.busybox();
    await pushTestImage(bb, src, 'bb:1');
    await pushTestImage(bb, auth, 'private/bb:1');
    h = await tempHome();
    deps = { env: { ...h.env, PODSMITH_INSECURE_REGISTRIES: [src.host, dst.host, auth.host].join(',') } };
  });
  after(async () => {
    await Promise.all([src.stop(), dst.stop(), auth.stop()]);
    images.dispose();
    h.dispose();
  });

  describe('pull', () => {
    it('prints one plain line per event without a terminal, and exits 0', async () => {
      const r = await run(pullCommand, [`${src.host}/bb:1`], deps);
      assert.equal(r.code, 0, r.err);
      const layer = bb.manifest!.layers[0].digest.slice(7, 19);
      assert.ok(r.out.includes(`${src.host}/bb:1: resolved to ${bb.digest}`), r.out);
      assert.ok(r.out.includes(`${layer}: downloading 1.0 MiB`), r.out);
      assert.ok(r.out.includes(`${layer}: done`), r.out);
      assert.ok(r.out.endsWith(`Pulled ${src.host}/bb:1 (${bb.digest})\n`), r.out);
      assert.doesNotMatch(r.out, /\x1b\[/);
    });

    it('draws progress bars on a terminal', async () => {
      const fresh = await tempHome();
      try {
        const r = await run(pullCommand, [`${src.host}/bb:1`], { ...deps, env: { ...deps.env, PODSMITH_HOME: fresh.home }, tty: true });
        assert.equal(r.code, 0, r.err);
        assert.match(r.out, /\x1b\[\d+F\x1b\[J/, 'redraws in place');
        assert.match(r.out, new RegExp(`${bb.manifest!.layers[0].digest.slice(7, 19)}  \\[=+\\] 1\\.0 MiB / 1\\.0 MiB 100%  done`));
      } finally {
        fresh.dispose();
      }
    });

    it('-q prints only the digest; a second pull is up to date', async () => {
      const r = await run(pullCommand, ['-q', `${src.host}/bb:1`], deps);
      assert.equal(r.code, 0, r.err);
      assert.equal(r.out, bb.digest + '\n');
      const again = await run(pullCommand, [`${src.host}/bb:1`], deps);
      assert.match(again.out, /already present/);
      assert.match(again.out, /up to date\)\n$/);
    });

    it('exits 1 when the pull fails', async () => {
      const r = await run(pullCommand, [`${src.host}/missing:1`], deps);
      assert.equal(r.code, 1);
      assert.match(r.err, /^podsmith pull: manifest .*missing:1: not found/);
    });

    it('exits 2 for usage errors', async () => {
      for (const args of [[], ['a', 'b'], ['Bad/Ref'], ['--platform', 'linux', 'busybox'], ['--bogus', 'busybox']]) {
        const r = await run(pullCommand, args, deps);
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
        assert.match(r.err, /^podsmith pull: /);
      }
      const help = await run(pullCommand, ['--help'], deps);
      assert.equal(help.code, 0);
      assert.match(help.out, /^Usage: podsmith pull/);
    });
  });

  describe('login and logout', () => {
    const authFile = (): string => join(h.home, 'auth.json');

    it('refuses wrong credentials with exit 1 and stores nothing', async () => {
      const r = await run(loginCommand, ['-u', auth.user!.username, '--password-stdin', auth.host], { ...deps, readStdin: async () => 'not-the-password\n' });
      assert.equal(r.code, 1);
      assert.match(r.err, /UNAUTHORIZED/);
      assert.doesNotMatch(r.err, /not-the-password/);
      assert.equal(existsSync(authFile()), false);
    });

    it('needs -u and --password-stdin when there is no terminal', async () => {
      assert.equal((await run(loginCommand, [auth.host], deps)).code, 2);
      assert.equal((await run(loginCommand, ['-u', 'x', auth.host], deps)).code, 2);
    });

    it('verifies and stores credentials (0600) that pull then uses', async () => {
      const denied = await run(pullCommand, [`${auth.host}/private/bb:1`], deps);
      assert.equal(denied.code, 1);
      assert.match(denied.err, /UNAUTHORIZED.*podsmith login/);
      const r = await run(loginCommand, ['-u', auth.user!.username, '--password-stdin', auth.host], { ...deps, readStdin: async () => auth.user!.password + '\n' });
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /^Login Succeeded/);
      assert.equal(statSync(authFile()).mode & 0o777, 0o600);
      assert.ok(readFileSync(authFile(), 'utf8').includes(auth.host));
      const pulled = await run(pullCommand, [`${auth.host}/private/bb:1`], deps);
      assert.equal(pulled.code, 0, pulled.err);
    });

    it('logout removes them', async () => {
      const r = await run(logoutCommand, [auth.host], deps);
      assert.equal(r.code, 0);
      assert.match(r.out, /Removed credentials/);
      assert.doesNotMatch(readFileSync(authFile(), 'utf8'), new RegExp(auth.host.replace(/\./g, '\\.')));
    });
  });

  describe('push', () => {
    it('pushes a stored image to another registry, skipping blobs it already has', async () => {
      assert.equal((await run(pullCommand, ['-q', `${src.host}/bb:1`], deps)).code, 0);
      const r = await run(pushCommand, [`${src.host}/bb:1`, `${dst.host}/copy/bb:2`], deps);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /uploading 1\.0 MiB/);
      assert.ok(r.out.endsWith(`Pushed ${dst.host}/copy/bb:2 (${bb.digest}; 2 blobs uploaded, 0 already there)\n`), r.out);
      const again = await run(pushCommand, ['-q', `${src.host}/bb:1`, `${dst.host}/copy/bb:3`], deps);
      assert.equal(again.code, 0, again.err);
      assert.equal(again.out, bb.digest + '\n');

      const fresh = await tempHome();
      try {
        const back = await run(pullCommand, ['-q', `${dst.host}/copy/bb:3`], { ...deps, env: { ...deps.env, PODSMITH_HOME: fresh.home } });
        assert.equal(back.code, 0, back.err);
        assert.equal(back.out, bb.digest + '\n');
      } finally {
        fresh.dispose();
      }
    });

    it('pushes with credentials to an auth registry', async () => {
      const stdin = async (): Promise<string> => auth.user!.password;
      assert.equal((await run(loginCommand, ['-u', auth.user!.username, '--password-stdin', auth.host], { ...deps, readStdin: stdin })).code, 0);
      const r = await run(pushCommand, [`${src.host}/bb:1`, `${auth.host}/pushed/bb:1`], deps);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /2 blobs uploaded/);
    });

    it('logs in to and pushes to a token-auth registry', async () => {
      const tok = await startRegistry({ auth: 'token' });
      try {
        const env = { ...deps.env, PODSMITH_INSECURE_REGISTRIES: `${deps.env!.PODSMITH_INSECURE_REGISTRIES},${tok.host}` };
        const wrong = await run(loginCommand, ['-u', tok.user!.username, '--password-stdin', tok.host], { env, readStdin: async () => 'wrong' });
        assert.equal(wrong.code, 1);
        assert.match(wrong.err, /rejected the credentials of user "podsmith" \(UNAUTHORIZED\)/);
        const ok = await run(loginCommand, ['-u', tok.user!.username, '--password-stdin', tok.host], { env, readStdin: async () => tok.user!.password });
        assert.equal(ok.code, 0, ok.err);
        const pushed = await run(pushCommand, ['-q', `${src.host}/bb:1`, `${tok.host}/team/bb:1`], { env });
        assert.equal(pushed.code, 0, pushed.err);
        assert.ok(tok.token!.requests.some((q) => q.authenticated && q.scopes.includes('repository:team/bb:pull,push')));
      } finally {
        await tok.stop();
      }
    });

    it('exits 1 for an image that is not stored and 2 for usage errors', async () => {
      const r = await run(pushCommand, [`${src.host}/never:1`, `${dst.host}/x:1`], deps);
      assert.equal(r.code, 1);
      assert.match(r.err, /not in the image store; pull or load it first/);
      assert.equal((await run(pushCommand, [], deps)).code, 2);
      assert.equal((await run(pushCommand, [`${src.host}/bb:1`, 'Bad/Dest'], deps)).code, 2);
    });
  });
});
