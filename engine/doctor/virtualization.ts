// KVM and vsock, which only the microVM runtime class needs: both are optional for pod-containers. Without
// hardware KVM, microVMs still run under QEMU's TCG (software emulation): still a VM boundary, but slow, and
// the doctor says so.
import { probeKvm } from '../../native/kvm';
import { vsockAvailable } from '../../native/vsock';
import { TCG_NOTE } from '../pods/microvm/tcg-note';
import { timed, type CheckResult } from './types';

export function kvmCheck(): Promise<CheckResult> {
  return timed('kvm', 'microvm', false, async () => {
    const p = probeKvm();
    const facts = { verdict: p.verdict, accel: p.verdict === 'hardware' ? 'kvm' : 'tcg', devicePresent: p.devicePresent, pvm: p.pvm, cpuFlags: p.cpuFlags, canCreateVm: p.canCreateVm };
    if (p.verdict === 'hardware') return { ok: true, detail: p.detail, facts };
    let fix: string;
    if (!p.devicePresent) fix = 'enable VT-x/AMD-V in the firmware (or nested virtualization for a VM) and load kvm_intel or kvm_amd';
    else if (p.pvm) fix = 'run on a host with hardware virtualization (vmx/svm, nested for a VM) for accelerated microVMs';
    else fix = 'check that this user may open /dev/kvm read-write (group kvm) and that vmx/svm is enabled';
    const why = p.detail.replace(/;?\s*use TCG\s*$/, ''); // said below, with what it means
    return { ok: false, detail: `${why}; microVMs fall back to TCG (${TCG_NOTE})`, fix, facts };
  });
}

export function vsockCheck(): Promise<CheckResult> {
  return timed('vsock', 'microvm', false, async () => {
    const v = vsockAvailable();
    const facts = { addressFamily: v.addressFamily, vhostDevice: v.vhostDevice, usableForGuests: v.usableForGuests, channel: v.usableForGuests ? 'vsock' : 'virtio-serial' };
    if (v.usableForGuests) return { ok: true, detail: v.detail, facts };
    return { ok: false, detail: v.detail, fix: v.vhostDevice ? 'give this user read-write access to /dev/vhost-vsock' : 'modprobe vhost_vsock; until then microVMs talk to their agent over virtio-serial', facts };
  });
}
