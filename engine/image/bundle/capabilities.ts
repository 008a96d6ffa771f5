// Linux capabilities of the container process: containerd's default set, adjusted by securityContext
// capabilities the way containerd's CRI plugin does it (ALL first, then individual adds, then drops, so
// `add: [ALL], drop: [NET_RAW]` is everything but NET_RAW and a drop beats an add of the same capability).

import type { Capabilities } from './types';

/** containerd's and Docker's default set. */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

/** Every capability the kernel defines up to 6.x, in number order (0 … 40). */
export const ALL_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
];

/**
 * Capability names from a `/proc/<pid>/status` CapBnd mask (hex), for callers that know their bounding set;
 * asking for a capability outside it makes runc fail with EPERM.
 */
export function capabilitiesFromMask(hex: string): string[] {
  const mask = BigInt('0x' + hex.trim());
  return ALL_CAPABILITIES.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
}

/** Kubernetes writes capabilities without the prefix (`NET_ADMIN`); the prefixed form is accepted too. */
export function normalizeCapability(name: string): string {
  const upper = name.trim().toUpperCase();
  return upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
}

export interface CapabilityResult {
  capabilities: string[];
  warnings: string[];
}

/**
 * Applies add/drop to `base`. `available` is what the caller may grant (its bounding set): `ALL` means all of
 * it, and a named capability outside it is left out with a warning rather than failing the container at start.
 */
export function adjustCapabilities(
  base: readonly string[],
  change: Capabilities | undefined,
  available: readonly string[] = ALL_CAPABILITIES,
): CapabilityResult {
  const warnings: string[] = [];
  const isAll = (c: string) => c.trim().toUpperCase() === 'ALL';
  const add = change?.add ?? [];
  const drop = change?.drop ?? [];
  let set = new Set(base.filter((c) => available.includes(c)));
  if (add.some(isAll)) set = new Set(available);
  if (drop.some(isAll)) set = new Set();
  for (const raw of add) {
    if (isAll(raw)) continue;
    const cap = normalizeCapability(raw);
    if (!ALL_CAPABILITIES.includes(cap)) warnings.push(`unknown capability "${raw}" was not added`);
    else if (!available.includes(cap))
      warnings.push(`capability ${cap} is not available to this engine and was not added`);
    else set.add(cap);
  }
  for (const raw of drop) {
    if (isAll(raw)) continue;
    const cap = normalizeCapability(raw);
    if (!ALL_CAPABILITIES.includes(cap)) warnings.push(`unknown capability "${raw}" in drop was ignored`);
    set.delete(cap);
  }
  // Kernel number order keeps configs stable and diffable.
  return { capabilities: ALL_CAPABILITIES.filter((c) => set.has(c)), warnings };
}
