// ~/.ssh/config as OpenSSH reads it. The differential test asks OpenSSH itself (`ssh -G`, which prints the
// options that apply to a host without connecting) and compares.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { matchPatternList, parseJumpHop, parseSshUrl, splitWords, SshConfig } from '../../engine/remote/ssh-config';

let dir: string;
before(() => {
  dir = mkdtempSync('/tmp/podsmith-sshcfg-');
  mkdirSync(join(dir, '.ssh', 'conf.d'), { recursive: true });
});
after(() => rmSync(dir, { recursive: true, force: true }));

function config(text: string, files: Record<string, string> = {}): SshConfig {
  writeFileSync(join(dir, '.ssh', 'config'), text);
  for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, '.ssh', name), body);
  return new SshConfig({ home: dir, localUser: 'me', env: {} });
}

describe('ssh config: against OpenSSH (ssh -G)', () => {
  const text = `# comment
Include ${'DIR'}/.ssh/conf.d/*.conf
Host web* !web-internal
  User deploy
  Port 2200
Host "quoted.example" alias-two
  HostName real.example
  Port = 2022
Host *.lan
  IdentityFile ~/.ssh/lan_%h_%r
  IdentitiesOnly yes
Host jumpy
  HostName 10.0.0.5
  ProxyJump bastion,user2@other:2222
  ServerAliveInterval 5
Match host real.example user deploy
  Port 9999
Match originalhost alias-two
  User two
Host *
  ServerAliveInterval 33
  ServerAliveCountMax 7
  User fallback
  IdentityFile ~/.ssh/id_default
`;
  const aliases = ['web1', 'web-internal', 'box.lan', 'jumpy', 'inc', 'other', 'quoted.example', 'alias-two', 'webby.lan'];

  it('resolves the same HostName, Port, User, IdentityFile, ProxyJump, ServerAlive* as ssh -G', () => {
    const file = text.replace('DIR', dir);
    const cfg = config(file, { 'conf.d/a.conf': 'Host inc\n  HostName included.example\n  Port=2022\n', 'conf.d/b.conf': 'Host inc other\n  User from-b\n' });
    for (const alias of aliases) {
      const r = spawnSync('ssh', ['-G', '-F', join(dir, '.ssh', 'config'), alias], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const got: Record<string, string[]> = {};
      for (const line of r.stdout.split('\n')) {
        const [k, ...v] = line.split(' ');
        (got[k] ??= []).push(v.join(' '));
      }
      const mine = cfg.resolve(alias);
      const user = got.user[0];
      // ssh -G leaves tokens and ~ unexpanded in IdentityFile, and expands ~ to the passwd home: do it here.
      const expand = (f: string): string => f.replace(/%h/g, got.hostname[0]).replace(/%r/g, user).replace(/^~/, dir);
      assert.deepEqual(
        {
          hostName: mine.hostName,
          port: mine.port,
          user: mine.user === 'me' ? user : mine.user,
          identityFiles: mine.identityFiles,
          identitiesOnly: mine.identitiesOnly,
          proxyJump: mine.proxyJump.join(','),
          serverAliveInterval: mine.serverAliveInterval,
          serverAliveCountMax: mine.serverAliveCountMax,
        },
        {
          hostName: got.hostname[0],
          port: Number(got.port[0]),
          user,
          identityFiles: (got.identityfile ?? []).map(expand),
          identitiesOnly: got.identitiesonly[0] === 'yes',
          proxyJump: got.proxyjump?.[0] ?? '',
          serverAliveInterval: Number(got.serveraliveinterval[0]),
          serverAliveCountMax: Number(got.serveralivecountmax[0]),
        },
        alias,
      );
    }
  });
});

describe('ssh config: what OpenSSH users expect', () => {
  it('takes the first value, collects IdentityFiles, expands tokens, and lets a URL override User and Port', () => {
    const cfg = config('Host box\n  User a\n  Port 2\n  IdentityFile %d/k_%u_%n_%p\nHost *\n  User b\n  Port 3\n  IdentityFile ~/second\n');
    const r = cfg.resolve('box');
    assert.deepEqual([r.user, r.port], ['a', 2]);
    assert.deepEqual(r.identityFiles, [`${dir}/k_me_box_2`, `${dir}/second`]);
    const o = cfg.resolve('box', { user: 'u', port: 77 });
    assert.deepEqual([o.user, o.port, o.identityFiles[0]], ['u', 77, `${dir}/k_me_box_77`]);
    assert.equal(cfg.resolve('nothing').user, 'b');
  });

  it('follows a relative Include from ~/.ssh (with globs), and only where its block applies', () => {
    const cfg = config('Host onlyhere\n  Include conf.d/x-*.conf\nHost *\n  Port 1\n', { 'conf.d/x-1.conf': 'HostName inc.example\nPort 5\n', 'conf.d/y.conf': 'Port 6\n' });
    assert.deepEqual([cfg.resolve('onlyhere').hostName, cfg.resolve('onlyhere').port], ['inc.example', 5]);
    assert.deepEqual([cfg.resolve('elsewhere').hostName, cfg.resolve('elsewhere').port], ['elsewhere', 1]);
  });

  it('never runs Match exec, and says so', () => {
    const marker = join(dir, 'exec-ran');
    const cfg = config(`Match exec "touch ${marker}"\n  Port 7\nHost *\n  Port 8\n`);
    const r = cfg.resolve('x');
    assert.equal(r.port, 8);
    assert.match(r.warnings.join('\n'), /Match exec is not run by Podsmith/);
    assert.equal(spawnSync('test', ['-e', marker]).status, 1, 'the command must not have run');
  });

  it('flags ProxyCommand (refused at connect time), reads IdentityAgent and UserKnownHostsFile', () => {
    const cfg = config('Host p\n  ProxyCommand nc %h %p\nHost a\n  IdentityAgent ~/agent.sock\n  UserKnownHostsFile ~/kh1 ~/kh2\nHost n\n  IdentityAgent none\n');
    assert.match(cfg.resolve('p').proxyCommand ?? '', /nc %h %p/);
    assert.equal(cfg.resolve('a').identityAgent, `${dir}/agent.sock`);
    assert.deepEqual(cfg.resolve('a').userKnownHostsFiles, [`${dir}/kh1`, `${dir}/kh2`]);
    assert.deepEqual(cfg.resolve('x').userKnownHostsFiles, [`${dir}/.ssh/known_hosts`]);
    assert.equal(cfg.resolve('n').identityAgent, 'none');
  });

  it('names the file and line of a bad value, and skips a broken line with a warning', () => {
    const cfg = config('Host bad\n  Port 99999\nHost q\n  HostName "unterminated\n');
    assert.throws(() => cfg.resolve('bad'), new RegExp(`${dir}/.ssh/config:2: Port must be 1-65535`));
    assert.match(cfg.resolve('q').warnings.join('\n'), /config:4: unterminated quote/);
  });

  it('lists the literal Host names for a picker', () => {
    const cfg = config('Host a b*\nHost !c d\nHost *\n');
    assert.deepEqual(cfg.hostAliases(), ['a', 'd']);
    assert.equal(cfg.hasHost('A'), true);
  });

  it('parses words, patterns, hops and URLs', () => {
    assert.deepEqual(splitWords('Key=value'), ['Key', 'value']);
    assert.deepEqual(splitWords('Key = "two words" x'), ['Key', 'two words', 'x']);
    assert.equal(matchPatternList('web1', ['web*', '!web-internal']), true);
    assert.equal(matchPatternList('web-internal', ['web*', '!web-internal']), false);
    assert.equal(matchPatternList('WEB1', ['web?']), true);
    assert.deepEqual(parseJumpHop('u@h:2'), { user: 'u', host: 'h', port: 2 });
    assert.deepEqual(parseJumpHop('[::1]:22'), { user: undefined, host: '::1', port: 22 });
    assert.deepEqual(parseSshUrl('ssh://root@127.0.1.2:2222'), { user: 'root', host: '127.0.1.2', port: 2222 });
    assert.deepEqual(parseSshUrl('ssh://[fd00::1]'), { user: undefined, host: 'fd00::1', port: undefined });
    for (const bad of ['http://x', 'ssh://', 'ssh://h:0', 'ssh://h:70000', 'ssh://h/path', 'ssh://-oProxyCommand=x', 'ssh://a b@h', 'ssh://u@h:22 x']) assert.throws(() => parseSshUrl(bad), /ssh:|user name|host name|port/, bad);
  });
});
