// Whether `pod-microvm-containers` has its guest: Debian's kernel in the cache (fetched once with
// `podsmith microvm fetch-kernel`), a static busybox for the initramfs, and whether VMs get KVM or TCG.
// No VM is booted here (a boot takes seconds under TCG); `run` checks the rest and names what is missing.
import { existsSync } from 'node:fs';
import { isStaticElf } from './static-elf';
import { cachedKernel, guestCacheDir, KERNEL_FIX } from '../pods/microvm/guest';
import { timed, type CheckResult } from './types';

export function microvmGuestCheck(): Promise<CheckResult> {
  return timed('microvm-guest', 'microvm', false, async () => {
    const cache = guestCacheDir();
    const kernel = await cachedKernel(cache);
    const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p) && isStaticElf(p));
    if (!busybox) return { ok: false, detail: 'no statically linked busybox for the guest initramfs', fix: 'apt-get install -y busybox-static' };
    if (!kernel) return { ok: false, detail: `no guest kernel in ${cache}`, fix: KERNEL_FIX };
    return { ok: true, path: kernel.vmlinux, version: kernel.release, detail: `guest kernel ${kernel.release} (${kernel.package} ${kernel.packageVersion}) in ${cache}` };
  });
}
