// Opening below a directory without following symlinks (openat2, and the one-component-at-a-time fallback),
// creating directories the same way, and bind-mounting an opened descriptor: what keeps subPath mounts from
// being redirected by a container that rewrites its volume (test/pods/subpath.test.ts attacks the whole path).
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readlinkSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { bindMountFd, closeFd, mkdirBeneath, openBeneath, openDirectory, statFd, unmount } from '../../native';
import { Cleanup, tempDir } from './support';

/** A volume-like tree: a/b/file, a symlink to / and one to a sibling directory, and a host directory outside. */
function tree(c: Cleanup): { root: string; outside: string } {
  const base = tempDir(c);
  const root = join(base, 'vol');
  const outside = join(base, 'host');
  mkdirSync(join(root, 'a', 'b'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(root, 'a', 'b', 'file'), 'inside\n');
  writeFileSync(join(outside, 'secret'), 'host\n');
  symlinkSync('/', join(root, 'a', 'to-root'));
  symlinkSync(outside, join(root, 'to-host'));
  symlinkSync('b', join(root, 'a', 'to-b'));
  return { root, outside };
}

for (const noOpenat2 of [false, true]) {
  describe(`openBeneath (${noOpenat2 ? 'one component at a time' : 'openat2'})`, () => {
    it('opens files and directories below the root and refuses every symlink on the way', (t) => {
      const c = new Cleanup();
      t.after(() => c.run());
      const { root } = tree(c);
      const dirfd = openDirectory(root);
      c.add(() => closeFd(dirfd));
      const opened = (rel: string) => {
        const fd = openBeneath(dirfd, rel, { noOpenat2 });
        try {
          return { path: readlinkSync(`/proc/self/fd/${fd}`), dir: statFd(fd).isDirectory() };
        } finally {
          closeFd(fd);
        }
      };
      assert.deepEqual(opened('a/b/file'), { path: join(root, 'a/b/file'), dir: false });
      assert.deepEqual(opened('a/b'), { path: join(root, 'a/b'), dir: true });
      assert.deepEqual(opened(''), { path: root, dir: true });
      const code = (rel: string) => {
        try {
          closeFd(openBeneath(dirfd, rel, { noOpenat2 }));
          return 'opened';
        } catch (e) {
          return (e as NodeJS.ErrnoException).code;
        }
      };
      // A symlink as the last component, or in the middle, whether it leads out (/, a host dir) or stays inside.
      assert.equal(code('a/to-root'), 'ELOOP');
      assert.match(code('a/to-root/etc')!, /^(ELOOP|ENOTDIR)$/);
      assert.match(code('to-host/secret')!, /^(ELOOP|ENOTDIR)$/);
      assert.match(code('a/to-b/file')!, /^(ELOOP|ENOTDIR)$/);
      assert.equal(code('missing'), 'ENOENT');
      assert.equal(code('../vol/a'), 'EINVAL', 'no way up');
      assert.equal(code('/etc'), 'EINVAL', 'no absolute path');
    });
  });
}

describe('mkdirBeneath', () => {
  it('makes missing directories with exactly the mode asked, never through a symlink', (t) => {
    const c = new Cleanup();
    t.after(() => c.run());
    const { root, outside } = tree(c);
    const dirfd = openDirectory(root);
    c.add(() => closeFd(dirfd));
    mkdirBeneath(dirfd, 'a/new/deeper', 0o2777);
    assert.equal(statSync(join(root, 'a/new/deeper')).mode & 0o7777, 0o2777, 'not filtered by the umask');
    assert.equal(statSync(join(root, 'a/new')).mode & 0o7777, 0o2777);
    mkdirBeneath(dirfd, 'a/new/deeper', 0o700);
    assert.equal(statSync(join(root, 'a/new/deeper')).mode & 0o7777, 0o2777, 'an existing directory is left as it is');
    assert.throws(() => mkdirBeneath(dirfd, 'to-host/planted', 0o777), { code: 'ENOTDIR' });
    assert.throws(() => statSync(join(outside, 'planted')), { code: 'ENOENT' });
  });
});

describe('bindMountFd', { skip: process.getuid?.() !== 0 ? 'mounting needs root' : undefined }, () => {
  it('mounts the object that was opened, even after it was swapped for a symlink to the host', (t) => {
    const c = new Cleanup();
    t.after(() => c.run());
    const { root, outside } = tree(c);
    const target = join(root, '..', 'target');
    mkdirSync(target);
    const dirfd = openDirectory(root);
    c.add(() => closeFd(dirfd));
    const fd = openBeneath(dirfd, 'a/b');
    c.add(() => closeFd(fd));
    // The swap a container would make between our check and the mount.
    renameSync(join(root, 'a', 'b'), join(root, 'a', 'was-b'));
    symlinkSync(outside, join(root, 'a', 'b'));
    bindMountFd(fd, target);
    c.add(() => unmount(target, true));
    assert.equal(readFileSync(join(target, 'file'), 'utf8'), 'inside\n');
    assert.throws(() => readFileSync(join(target, 'secret')), { code: 'ENOENT' });
  });
});
