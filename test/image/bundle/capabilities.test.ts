import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ALL_CAPABILITIES,
  DEFAULT_CAPABILITIES,
  adjustCapabilities,
  buildBundleConfig,
  capabilitiesFromMask,
} from '../../../engine/image/bundle';
import { input } from './fixtures';

const sorted = (caps: readonly string[]) => ALL_CAPABILITIES.filter((c) => caps.includes(c));
const without = (caps: readonly string[], ...out: string[]) => sorted(caps.filter((c) => !out.includes(c)));

describe('capabilities', () => {
  it('default set is containerd/Docker default, 14 capabilities', () => {
    assert.equal(DEFAULT_CAPABILITIES.length, 14);
    assert.deepEqual(adjustCapabilities(DEFAULT_CAPABILITIES, undefined).capabilities, sorted(DEFAULT_CAPABILITIES));
    assert.ok(!DEFAULT_CAPABILITIES.includes('CAP_SYS_ADMIN'));
    assert.ok(!DEFAULT_CAPABILITIES.includes('CAP_NET_ADMIN'));
  });

  const cases: [string, { add?: string[]; drop?: string[] }, readonly string[]][] = [
    ['add one', { add: ['NET_ADMIN'] }, sorted([...DEFAULT_CAPABILITIES, 'CAP_NET_ADMIN'])],
    ['drop one', { drop: ['NET_RAW'] }, without(DEFAULT_CAPABILITIES, 'CAP_NET_RAW')],
    ['add ALL', { add: ['ALL'] }, ALL_CAPABILITIES],
    ['drop ALL', { drop: ['ALL'] }, []],
    ['add ALL, drop one', { add: ['ALL'], drop: ['CHOWN'] }, without(ALL_CAPABILITIES, 'CAP_CHOWN')],
    ['drop ALL, add one back', { add: ['NET_BIND_SERVICE'], drop: ['ALL'] }, ['CAP_NET_BIND_SERVICE']],
    ['add ALL and drop ALL: drop wins', { add: ['ALL'], drop: ['ALL'] }, []],
    ['add and drop the same: drop wins', { add: ['SYS_TIME'], drop: ['SYS_TIME'] }, sorted(DEFAULT_CAPABILITIES)],
    ['case-insensitive names and ALL', { add: ['sys_ptrace'], drop: ['all'] }, ['CAP_SYS_PTRACE']],
    [
      'CAP_ prefix accepted',
      { add: ['CAP_SYS_NICE'], drop: ['CAP_KILL'] },
      without([...DEFAULT_CAPABILITIES, 'CAP_SYS_NICE'], 'CAP_KILL'),
    ],
  ];
  for (const [why, change, expected] of cases)
    it(why, () => {
      const r = adjustCapabilities(DEFAULT_CAPABILITIES, change);
      assert.deepEqual(r.capabilities, [...expected]);
      assert.deepEqual(r.warnings, []);
    });

  it('unknown capabilities are warned about and left out', () => {
    const r = adjustCapabilities(DEFAULT_CAPABILITIES, { add: ['FLY'], drop: ['SWIM'] });
    assert.deepEqual(r.capabilities, sorted(DEFAULT_CAPABILITIES));
    assert.equal(r.warnings.length, 2);
    assert.match(r.warnings[0], /unknown capability "FLY"/);
  });

  it('only what the caller holds is granted: ALL and named adds are limited to it', () => {
    // This machine's bounding set: everything but CAP_SYS_RESOURCE.
    const held = capabilitiesFromMask('000001fffeffffff');
    assert.equal(held.length, ALL_CAPABILITIES.length - 1);
    assert.ok(!held.includes('CAP_SYS_RESOURCE'));
    assert.deepEqual(adjustCapabilities(DEFAULT_CAPABILITIES, { add: ['ALL'] }, held).capabilities, held);
    const r = adjustCapabilities(DEFAULT_CAPABILITIES, { add: ['SYS_RESOURCE'] }, held);
    assert.ok(!r.capabilities.includes('CAP_SYS_RESOURCE'));
    assert.match(r.warnings[0], /not available/);
  });

  it('goes to bounding, effective and permitted; never inheritable or ambient', () => {
    const caps = buildBundleConfig(input({ securityContext: { capabilities: { add: ['NET_ADMIN'] } } })).config.process
      .capabilities!;
    assert.deepEqual(Object.keys(caps).sort(), ['bounding', 'effective', 'permitted']);
    assert.ok(caps.bounding!.includes('CAP_NET_ADMIN'));
    assert.deepEqual(caps.bounding, caps.effective);
    assert.deepEqual(caps.bounding, caps.permitted);
  });

  it('privileged grants every held capability regardless of add/drop', () => {
    const held = capabilitiesFromMask('000001fffeffffff');
    const r = buildBundleConfig(
      input({ securityContext: { privileged: true, capabilities: { drop: ['ALL'] } } }, { allCapabilities: held }),
    );
    assert.deepEqual(r.config.process.capabilities!.bounding, held);
  });
});
