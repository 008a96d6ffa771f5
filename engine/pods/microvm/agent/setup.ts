// What the guest needs before its pod runs: the pod's 9p shares (read-only inputs, read-write out share),
// tmpfs for memory-backed emptyDirs, the cgroup the containers live under, the hostname (the VM's UTS
// namespace is the pod's) and eth0 from passt's DHCP server.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { GUEST_OUT_SHARE, GUEST_POD_CGROUP, GUEST_POD_SHARE, GUEST_RUNC_ROOT, guestMemoryVolume } from '../protocol/guest-paths';
import type { GuestPodPlan } from '../protocol/messages';
import { mountAt, MS_RDONLY, setHostnameTo } from './syscalls';
import { busybox } from './tools';

/** 9p with a large msize: small messages make 9p slow (Kata measured msize=512000 beating virtio-fs defaults). */
const NINEP = 'trans=virtio,version=9p2000.L,msize=512000';

export async function mountShares(plan: GuestPodPlan): Promise<void> {
  await mkdir(GUEST_POD_SHARE, { recursive: true });
  await mkdir(GUEST_OUT_SHARE, { recursive: true });
  await mountAt(plan.shares.pod, GUEST_POD_SHARE, '9p', `${NINEP},cache=loose`, MS_RDONLY);
  // No caching on the out share: the host reads status and logs while the guest writes them.
  await mountAt(plan.shares.out, GUEST_OUT_SHARE, '9p', `${NINEP},cache=none`);
  for (const v of plan.memoryVolumes) {
    const dir = guestMemoryVolume(v.name);
    await mkdir(dir, { recursive: true });
    await mountAt('tmpfs', dir, 'tmpfs', `size=${Math.max(4096, v.bytes)},mode=0777`);
  }
  await mkdir(GUEST_RUNC_ROOT, { recursive: true, mode: 0o700 });
}

let cgroupsReady = false;

/** The pod's cgroup with its controllers enabled (once: a template does it before it is saved). */
export function setUpCgroups(): void {
  if (cgroupsReady) return;
  const root = '/sys/fs/cgroup';
  const wanted = ['cpu', 'memory', 'pids', 'io'];
  const available = readFileSync(`${root}/cgroup.controllers`, 'utf8').trim().split(/\s+/);
  const enable = wanted.filter((c) => available.includes(c)).map((c) => `+${c}`).join(' ');
  writeFileSync(`${root}/cgroup.subtree_control`, enable);
  const pod = `${root}/${GUEST_POD_CGROUP}`;
  if (!existsSync(pod)) mkdirSync(pod);
  writeFileSync(`${pod}/cgroup.subtree_control`, enable);
  cgroupsReady = true;
}

export async function setHostname(name: string): Promise<void> {
  await setHostnameTo(name);
}

/** eth0 from passt's DHCP (a lease in about a millisecond); the addresses it got. */
export async function configureNetwork(plan: GuestPodPlan): Promise<string[]> {
  if (plan.network === 'none') return [];
  await busybox(['ip', 'link', 'set', 'eth0', 'up']);
  await busybox(['udhcpc', '-i', 'eth0', '-f', '-q', '-n', '-t', '5', '-T', '1', '-s', '/etc/udhcpc.script'], { timeoutMs: 20_000 });
  const ip = readFileSync('/run/ip.dhcp', 'utf8').trim();
  return ip ? [ip] : [];
}
