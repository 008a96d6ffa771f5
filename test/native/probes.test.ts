// KVM and vsock probes: they must run anywhere, never throw, and give verdicts consistent with their facts.
// This machine's own answer is not hard-coded; the rules are checked on synthetic facts as well.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { kvmVerdict, probeKvm, type KvmFacts, type KvmProbe } from '../../native/kvm';
import { vsockAvailable } from '../../native/vsock';
import { Cleanup, tempDir } from './support';

function assertConsistent(p: KvmProbe): void {
  assert.ok(['hardware', 'unusable', 'absent'].includes(p.verdict));
  assert.ok(p.detail.length > 0);
  if (!p.devicePresent) assert.equal(p.verdict, 'absent');
  else assert.notEqual(p.verdict, 'absent');
  if (p.verdict === 'hardware') {
    assert.ok(p.canCreateVm && p.apiVersion === 12, 'hardware means a VM could be created');
    assert.ok(p.cpuFlags.vmx || p.cpuFlags.svm, 'hardware means vmx or svm');
    assert.equal(p.pvm, false, 'hardware is never kvm_pvm');
  }
  if (!p.cpuFlags.vmx && !p.cpuFlags.svm) assert.notEqual(p.verdict, 'hardware');
  if (p.pvm) assert.notEqual(p.verdict, 'hardware');
  if (p.canCreateVm) assert.equal(p.error, undefined);
}

test('probeKvm on this machine returns a consistent verdict', () => {
  const p = probeKvm();
  assertConsistent(p);
  if (p.verdict !== 'hardware') assert.match(p.detail, /TCG/, 'a non-hardware verdict tells the backend to use TCG');
});

const base: KvmFacts = { devicePresent: true, apiVersion: 12, canCreateVm: true, cpuFlags: { vmx: true, svm: false }, pvm: false };

test('kvmVerdict rules', () => {
  assert.equal(kvmVerdict(base).verdict, 'hardware');
  assert.equal(kvmVerdict({ ...base, cpuFlags: { vmx: false, svm: true } }).verdict, 'hardware');
  assert.equal(kvmVerdict({ ...base, devicePresent: false, canCreateVm: false, apiVersion: undefined }).verdict, 'absent');
  assert.equal(kvmVerdict({ ...base, pvm: true }).verdict, 'unusable');
  assert.match(kvmVerdict({ ...base, pvm: true }).detail, /kvm_pvm/);
  assert.equal(kvmVerdict({ ...base, cpuFlags: { vmx: false, svm: false } }).verdict, 'unusable');
  assert.equal(kvmVerdict({ ...base, canCreateVm: false, error: 'EACCES' }).verdict, 'unusable');
  assert.match(kvmVerdict({ ...base, canCreateVm: false, error: 'EACCES' }).detail, /EACCES/);
  assert.equal(kvmVerdict({ ...base, apiVersion: 11 }).verdict, 'unusable');
});

test('probeKvm with other devices and system files', (t) => {
  const c = new Cleanup();
  t.after(() => c.run());
  const dir = tempDir(c);
  const cpuinfo = join(dir, 'cpuinfo');
  writeFileSync(cpuinfo, 'processor\t: 0\nflags\t\t: fpu vme vmx sse2\n\nprocessor\t: 1\nflags\t\t: fpu vme vmx sse2\n');
  const modules = join(dir, 'module');
  mkdirSync(modules);
  const noProcModules = join(dir, 'no-modules');
  const opts = { cpuinfoPath: cpuinfo, sysModuleDir: modules, procModulesPath: noProcModules };

  const absent = probeKvm({ ...opts, devicePath: join(dir, 'no-kvm') });
  assert.equal(absent.verdict, 'absent');
  assert.deepEqual(absent.cpuFlags, { vmx: true, svm: false });
  assertConsistent(absent);

  if (process.platform === 'linux') {
    // A device that is not KVM: the ioctl fails and the verdict says why.
    const notKvm = probeKvm({ ...opts, devicePath: '/dev/null' });
    assert.equal(notKvm.verdict, 'unusable');
    assert.equal(notKvm.canCreateVm, false);
    assert.match(notKvm.error ?? '', /ENOTTY|EINVAL/);
    assertConsistent(notKvm);
  }

  mkdirSync(join(modules, 'kvm_pvm'));
  assert.equal(probeKvm({ ...opts, devicePath: join(dir, 'no-kvm') }).pvm, true);
  writeFileSync(join(dir, 'modules'), 'kvm_pvm 151552 0 - Live 0x0\nkvm 1200128 1 kvm_pvm, Live 0x0\n');
  assert.equal(probeKvm({ ...opts, sysModuleDir: join(dir, 'none'), procModulesPath: join(dir, 'modules'), devicePath: join(dir, 'no-kvm') }).pvm, true);
});

test('vsockAvailable reports AF_VSOCK and the vhost device consistently', () => {
  const v = vsockAvailable();
  assert.equal(typeof v.addressFamily, 'boolean');
  assert.ok(v.detail.length > 0);
  if (!v.addressFamily) assert.match(v.socketErrorCode ?? '', /^E/, 'a failed socket() names its errno');
  else assert.equal(v.socketError, undefined);
  if (v.usableForGuests) assert.ok(v.addressFamily && v.vhostDevice && v.vhostAccessible);
  if (!v.vhostDevice) assert.equal(v.usableForGuests, false);
  if (v.localCid !== undefined) assert.ok(v.vsockDevice && v.localCid >= 2);

  const none = vsockAvailable({ vhostPath: '/nonexistent/vhost-vsock', vsockPath: '/nonexistent/vsock' });
  assert.equal(none.vhostDevice, false);
  assert.equal(none.usableForGuests, false);
  assert.equal(none.localCid, undefined);
  assert.match(none.detail, /virtio-serial/);
});
