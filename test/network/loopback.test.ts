import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { bringUpLoopback, loopbackState, parseLoopback } from '../../engine/network/loopback';
import { startNetnsHolder, addNamedNetns, uniqueName, type NetnsHolder } from './support/netns-fixtures';

describe('parseLoopback', () => {
  it('reads flags and addresses from `ip addr show dev lo`', () => {
    const down = '1: lo: <LOOPBACK> mtu 65536 qdisc noop state DOWN group default qlen 1000\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n';
    assert.deepEqual(parseLoopback(down), { up: false, ipv4: false, ipv6: false });
    const up = [
      '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000',
      '    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00',
      '    inet 127.0.0.1/8 scope host lo',
      '       valid_lft forever preferred_lft forever',
      '    inet6 ::1/128 scope host ',
    ].join('\n');
    assert.deepEqual(parseLoopback(up), { up: true, ipv4: true, ipv6: true });
  });
});

describe('bringUpLoopback in a fresh network namespace', () => {
  let holder: NetnsHolder;
  before(async () => {
    holder = await startNetnsHolder();
  });
  after(async () => {
    await holder?.stop();
  });

  it('finds lo down, brings it up with 127.0.0.1, and is idempotent', async () => {
    const before = await loopbackState(holder.pid);
    assert.equal(before.up, false, 'a new namespace starts with lo down');
    const state = await bringUpLoopback(holder.pid);
    assert.equal(state.up, true);
    assert.equal(state.ipv4, true);
    assert.deepEqual(await bringUpLoopback(holder.pid), state);
    assert.deepEqual(await loopbackState(holder.pid), state);
  });

  it('accepts a namespace path as well as a pid', async () => {
    const ns = addNamedNetns(uniqueName('psm-lo'));
    try {
      // addNamedNetns brings lo up itself; take it down to see ours work.
      const { spawnSync } = await import('node:child_process');
      spawnSync('ip', ['-n', ns.name, 'link', 'set', 'lo', 'down']);
      assert.equal((await loopbackState(ns.path)).up, false);
      assert.equal((await bringUpLoopback(ns.path)).up, true);
    } finally {
      ns.remove();
    }
  });

  it('says which namespace it could not enter', async () => {
    await assert.rejects(bringUpLoopback(2 ** 22 + 12345), /network namespace of pid 4206649/);
  });
});
