import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BundleError, parseGroup, parsePasswd, resolveUser } from '../../../engine/image/bundle';
import { GROUP, PASSWD } from './fixtures';

const base = { container: 'app', passwd: PASSWD, group: GROUP };
const code = (c: string) => (e: unknown) => e instanceof BundleError && e.code === c;

describe('/etc/passwd and /etc/group parsing', () => {
  it('skips comments and malformed lines', () => {
    assert.deepEqual(
      parsePasswd(PASSWD).map((u) => [u.name, u.uid, u.gid]),
      [
        ['root', 0, 0],
        ['daemon', 1, 1],
        ['app', 1000, 1000],
        ['svc', 1001, 1001],
      ],
    );
    assert.deepEqual(
      parseGroup(GROUP).find((g) => g.name === 'wheel'),
      { name: 'wheel', gid: 10, members: ['app', 'svc'] },
    );
  });
});

describe('user resolution', () => {
  it('no User: root, primary gid from passwd', () => {
    assert.deepEqual(resolveUser(base), { uid: 0, gid: 0, additionalGids: [0], username: 'root' });
  });

  it('numeric uid: gid from the passwd entry, or 0 without one', () => {
    assert.deepEqual(resolveUser({ ...base, imageUser: '1000' }).gid, 1000);
    const stranger = resolveUser({ ...base, imageUser: '4242' });
    assert.deepEqual([stranger.uid, stranger.gid, stranger.username], [4242, 0, undefined]);
    assert.deepEqual(resolveUser({ container: 'c', imageUser: '7' }), {
      uid: 7,
      gid: 0,
      additionalGids: [0],
      username: undefined,
    });
  });

  it('uid:gid numeric is taken as is', () => {
    const u = resolveUser({ ...base, imageUser: '1000:50' });
    assert.deepEqual([u.uid, u.gid], [1000, 50]);
  });

  it('name and name:group are looked up', () => {
    const u = resolveUser({ ...base, imageUser: 'app' });
    assert.deepEqual([u.uid, u.gid, u.username], [1000, 1000, 'app']);
    const g = resolveUser({ ...base, imageUser: 'app:staff' });
    assert.deepEqual([g.uid, g.gid], [1000, 50]);
    const mixed = resolveUser({ ...base, imageUser: '1001:wheel' });
    assert.deepEqual([mixed.uid, mixed.gid], [1001, 10]);
  });

  it('an unknown name is a clear error', () => {
    assert.throws(() => resolveUser({ ...base, imageUser: 'nobody' }), code('USER_NOT_FOUND'));
    assert.throws(() => resolveUser({ container: 'c', imageUser: 'app' }), /has none/);
    assert.throws(() => resolveUser({ ...base, imageUser: 'app:nogroup' }), code('GROUP_NOT_FOUND'));
    assert.throws(() => resolveUser({ ...base, imageUser: '99999999999' }), code('BAD_USER'));
  });

  it('runAsUser replaces the image User, group included', () => {
    const u = resolveUser({ ...base, imageUser: 'app:staff', securityContext: { runAsUser: 1001 } });
    assert.deepEqual([u.uid, u.gid, u.username], [1001, 1001, 'svc']);
    const unknown = resolveUser({ ...base, imageUser: 'app:staff', securityContext: { runAsUser: 5000 } });
    assert.deepEqual([unknown.uid, unknown.gid], [5000, 0]);
  });

  it('runAsUser with an image user name that does not exist is fine: the name is never read', () => {
    assert.equal(resolveUser({ ...base, imageUser: 'ghost', securityContext: { runAsUser: 3 } }).uid, 3);
  });

  it('runAsGroup overrides the group from either source', () => {
    assert.equal(resolveUser({ ...base, imageUser: 'app:staff', securityContext: { runAsGroup: 7 } }).gid, 7);
    assert.equal(resolveUser({ ...base, securityContext: { runAsUser: 1000, runAsGroup: 8 } }).gid, 8);
  });

  it('container securityContext overrides the pod one, field by field', () => {
    const u = resolveUser({
      ...base,
      podSecurityContext: { runAsUser: 1000, runAsGroup: 50 },
      securityContext: { runAsUser: 1001 },
    });
    assert.deepEqual([u.uid, u.gid], [1001, 50]);
  });

  it('additional groups: primary, /etc/group membership, supplementalGroups, fsGroup, deduplicated', () => {
    const u = resolveUser({
      ...base,
      imageUser: 'app',
      podSecurityContext: { supplementalGroups: [3000, 10], fsGroup: 2000 },
    });
    // the group named like the user is its primary group, not a supplementary one
    assert.deepEqual(u.additionalGids, [1000, 10, 44, 3000, 2000]);
  });

  it('supplementalGroupsPolicy Strict ignores /etc/group membership', () => {
    const u = resolveUser({
      ...base,
      imageUser: 'app',
      podSecurityContext: { supplementalGroupsPolicy: 'Strict', supplementalGroups: [5] },
    });
    assert.deepEqual(u.additionalGids, [1000, 5]);
  });

  it('membership is found for a numeric uid through its passwd name', () => {
    assert.deepEqual(resolveUser({ ...base, imageUser: '1001' }).additionalGids, [1001, 10]);
  });
});

describe('runAsNonRoot (kubelet verifyRunAsNonRoot)', () => {
  const nonRoot = { runAsNonRoot: true };
  it('refuses an image that runs as root, explicitly or by default', () => {
    assert.throws(() => resolveUser({ ...base, imageUser: '0', securityContext: nonRoot }), code('RUN_AS_ROOT'));
    assert.throws(() => resolveUser({ ...base, imageUser: '0:1000', securityContext: nonRoot }), code('RUN_AS_ROOT'));
    assert.throws(() => resolveUser({ ...base, securityContext: nonRoot }), /image runs as root/);
  });

  it('refuses runAsUser 0', () => {
    assert.throws(
      () => resolveUser({ ...base, imageUser: '1000', securityContext: { ...nonRoot, runAsUser: 0 } }),
      /runAsUser 0/,
    );
  });

  it('refuses a user name even when it maps to a non-root uid (the kubelet cannot verify names)', () => {
    assert.throws(() => resolveUser({ ...base, imageUser: 'app', securityContext: nonRoot }), /non-numeric user/);
  });

  it('accepts a numeric non-root image user or a non-zero runAsUser', () => {
    assert.equal(resolveUser({ ...base, imageUser: '1000', securityContext: nonRoot }).uid, 1000);
    assert.equal(
      resolveUser({ ...base, imageUser: 'root', securityContext: { ...nonRoot, runAsUser: 1000 } }).uid,
      1000,
    );
  });

  it('pod-level runAsNonRoot applies unless the container turns it off', () => {
    assert.throws(() => resolveUser({ ...base, podSecurityContext: nonRoot }), code('RUN_AS_ROOT'));
    assert.equal(
      resolveUser({ ...base, podSecurityContext: nonRoot, securityContext: { runAsNonRoot: false } }).uid,
      0,
    );
  });
});
