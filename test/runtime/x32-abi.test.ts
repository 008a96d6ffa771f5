// The x32 probe decides whether the containers' seccomp filters carry the x32 rules: it must give an answer on
// x86-64 (perl is always there on Debian), and the bundles the engine writes must follow it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { x32AbiEnabled } from '../../engine/runtime/x32-abi';
import { hostFacts } from '../../engine/runtime/host-facts';
import { buildBundleConfig } from '../../engine/image/bundle';
import { pauseBundleInput } from '../../engine/runtime/pause';

describe('the x32 ABI probe', { skip: process.arch !== 'x64' ? 'x86-64 only' : undefined }, () => {
  it('answers on x86-64, the same every time, and the pause bundle follows it', () => {
    const on = x32AbiEnabled();
    assert.equal(typeof on, 'boolean');
    assert.equal(x32AbiEnabled(), on);
    assert.equal(hostFacts().x32, on);
    const { config } = buildBundleConfig(pauseBundleInput({ pod: { name: 'p', namespace: 'default', uid: 'u' } as never, rootfs: '/nonexistent', cgroupsPath: '/podsmith/u/pause' }));
    assert.equal(config.linux?.seccomp?.architectures?.includes('SCMP_ARCH_X32'), on);
  });
});
