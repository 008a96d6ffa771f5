// KVM or TCG. /dev/kvm being there proves nothing (on some hosts it is a paravirtual KVM that cannot boot a
// stock kernel, native/kvm.ts tells those apart), so KVM is used only after a guest really booted under it:
// a VM with this kernel and initramfs in probe mode, which prints a marker from its /init and powers off.
// The answer is kept in the cache for this host boot and kernel; without KVM every VM runs under TCG, which
// status, describe and doctor say plainly.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { probeKvm } from '../../../native/kvm';
import { runTool } from '../../network/run-tool';
import { guestCacheDir, PROBE_MARKER, type GuestImage } from './guest';
import { findQemu, hostTscKhz } from './launch';
import { qemuArgs } from './qemu-command';

export interface AccelChoice {
  accel: 'kvm' | 'tcg';
  /** Why (shown by doctor). */
  detail: string;
}

/** A guest in probe mode stops in its initramfs: well under a second under KVM, so this is generous. */
const PROBE_TIMEOUT_MS = 15_000;

function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

let memo: Promise<AccelChoice> | undefined;

/** Whether a guest of this image boots under KVM here (asked once per process, kept per host boot). */
export function chooseAccel(image: GuestImage, cache = guestCacheDir()): Promise<AccelChoice> {
  if (process.env.PODSMITH_MICROVM_ACCEL === 'tcg') return Promise.resolve({ accel: 'tcg', detail: 'PODSMITH_MICROVM_ACCEL=tcg' });
  memo ??= decide(image, cache);
  memo.catch(() => (memo = undefined));
  return memo;
}

async function decide(image: GuestImage, cache: string): Promise<AccelChoice> {
  const kvm = probeKvm();
  // Only a KVM that looks real is worth a boot (a paravirtual one, or none, is TCG without further ado).
  if (kvm.verdict !== 'hardware') return { accel: 'tcg', detail: kvm.detail };
  const key = `${bootId()}-${image.kernel.release}`;
  const file = join(cache, 'accel', `${key}.json`);
  try {
    return JSON.parse(await readFile(file, 'utf8')) as AccelChoice;
  } catch {
    // Not probed on this boot yet.
  }
  const choice = await bootProbe(image);
  await mkdir(join(cache, 'accel'), { recursive: true });
  await writeFile(file, JSON.stringify(choice));
  return choice;
}

async function bootProbe(image: GuestImage): Promise<AccelChoice> {
  const dir = join(guestCacheDir(), 'accel', `probe-${randomBytes(4).toString('hex')}`);
  await mkdir(dir, { recursive: true });
  try {
    const consoleLog = join(dir, 'console.log');
    const args = qemuArgs({ image, accel: 'kvm', vcpus: 1, memoryMiB: 256, controlSocket: join(dir, 'ctl.sock'), consoleLog, shares: [], name: 'podsmith-kvm-probe', mode: 'probe', tscKhz: hostTscKhz() });
    const r = await runTool(findQemu(), args, { timeoutMs: PROBE_TIMEOUT_MS });
    const console = await readFile(consoleLog, 'utf8').catch(() => '');
    if (console.includes(PROBE_MARKER)) return { accel: 'kvm', detail: 'a guest booted under KVM' };
    const why = r.error ?? (r.stderr.trim().split('\n').slice(-1)[0] || `exit ${r.code}`);
    return { accel: 'tcg', detail: `/dev/kvm is there but a guest did not boot under it (${why}); microVMs use TCG` };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
