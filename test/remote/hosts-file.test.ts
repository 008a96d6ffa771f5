// The hosts list shared by the CLI and the editor, and how --host is taken off a command line.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { takeHostOptions } from '../../engine/cli/host-options';
import { checkHostName, hostsFilePath, readHosts, writeHosts } from '../../engine/remote/hosts-file';
import { resolveTarget, UnknownHostError } from '../../engine/remote/targets';

let dir: string;
before(() => (dir = mkdtempSync('/tmp/podsmith-hosts-')));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('hosts.json', () => {
  it('lives under XDG_CONFIG_HOME, is written 0600 in a 0700 directory, and reads back', () => {
    const file = hostsFilePath({ XDG_CONFIG_HOME: join(dir, 'cfg') });
    assert.equal(file, join(dir, 'cfg', 'podsmith', 'hosts.json'));
    assert.deepEqual(readHosts(file), []);
    writeHosts([{ name: 'box', url: 'ssh://root@127.0.1.2:22' }], file);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'cfg', 'podsmith')).mode & 0o777, 0o700);
    assert.deepEqual(readHosts(file), [{ name: 'box', url: 'ssh://root@127.0.1.2:22' }]);
  });

  it('names the file and the field of what is wrong', () => {
    const file = join(dir, 'bad.json');
    const cases: [string, RegExp][] = [
      ['{', /bad\.json: not valid JSON/],
      ['[]', /expected \{"hosts": \[\.\.\.\]\}/],
      ['{"hosts":[{"name":"Bad Name","url":"ssh://h"}]}', /hosts\[0\]\.name: host name "Bad Name" must be/],
      ['{"hosts":[{"name":"a","url":"http://h"}]}', /hosts\[0\]\.url: "http:\/\/h" is not ssh:/],
      ['{"hosts":[{"name":"a","url":"ssh://h","node":"node"}]}', /hosts\[0\]\.node must be an absolute path/],
      ['{"hosts":[{"name":"a","url":"ssh://h"},{"name":"a","url":"ssh://g"}]}', /hosts\[1\]\.name: "a" is listed twice/],
    ];
    for (const [text, re] of cases) {
      writeFileSync(file, text);
      assert.throws(() => readHosts(file), re, text);
    }
    assert.match(checkHostName('local') ?? '', /this machine/);
  });

  it('resolves --host: local, a listed host, a Host of ~/.ssh/config, a URL, or an error saying where it looked', () => {
    const env = { XDG_CONFIG_HOME: join(dir, 'cfg'), HOME: dir };
    writeHosts([{ name: 'box', url: 'ssh://u@10.9.9.9:2200', node: '/opt/node/bin/node' }], hostsFilePath(env));
    rmSync(join(dir, '.ssh'), { recursive: true, force: true });
    mkdirSync(join(dir, '.ssh'));
    writeFileSync(join(dir, '.ssh', 'config'), 'Host fromcfg\n  HostName 10.1.1.1\n');
    assert.equal(resolveTarget(undefined, { env }), undefined);
    assert.equal(resolveTarget('local', { env }), undefined);
    assert.deepEqual(resolveTarget('box', { env }), { name: 'box', dest: { alias: '10.9.9.9', user: 'u', port: 2200 }, node: '/opt/node/bin/node', source: 'hosts.json', url: 'ssh://u@10.9.9.9:2200' });
    assert.deepEqual(resolveTarget('fromcfg', { env })?.dest, { alias: 'fromcfg' });
    assert.deepEqual(resolveTarget('ssh://h:23', { env })?.dest, { alias: 'h', user: undefined, port: 23 });
    assert.throws(() => resolveTarget('nope', { env }), (e: Error) => e instanceof UnknownHostError && /not in .*hosts\.json.*nor a Host in ~\/\.ssh\/config/.test(e.message));
  });
});

describe('--host on the command line', () => {
  it('is taken off before the command parses, never after --, and PODSMITH_HOST is the default', () => {
    assert.deepEqual(takeHostOptions(['--host', 'box', 'web', '--', 'sh', '--host', 'x'], {}), { argv: ['web', '--', 'sh', '--host', 'x'], opts: { host: 'box', acceptNewHostKey: false } });
    assert.deepEqual(takeHostOptions(['--host=b', '--accept-new-host-key', '-a'], {}), { argv: ['-a'], opts: { host: 'b', acceptNewHostKey: true } });
    assert.deepEqual(takeHostOptions(['ps'], { PODSMITH_HOST: 'env' }).opts.host, 'env');
    assert.deepEqual(takeHostOptions(['--host', 'cli'], { PODSMITH_HOST: 'env' }).opts.host, 'cli');
    assert.throws(() => takeHostOptions(['--host'], {}), /needs a host name/);
    assert.throws(() => takeHostOptions(['--host', '-f'], {}), /needs a host name/);
    assert.throws(() => takeHostOptions(['--host='], {}), /needs a host name/);
  });
});
