// Resource limits of the container process. Raising a hard limit above the caller's needs CAP_SYS_RESOURCE,
// which engines often lack (runc then fails with "error setting rlimit type 7"), so every limit is clamped
// to the caller's hard limit for that resource.

import { BundleError, type Rlimit, type RlimitType } from './types';

/** What the container gets when nothing else is said: containerd's and Docker's open-file default. */
export const DEFAULT_RLIMITS: readonly Rlimit[] = [{ type: 'RLIMIT_NOFILE', soft: 1048576, hard: 1048576 }];

// Row labels of /proc/<pid>/limits.
const PROC_LIMITS: Record<string, RlimitType> = {
  'Max cpu time': 'RLIMIT_CPU',
  'Max file size': 'RLIMIT_FSIZE',
  'Max data size': 'RLIMIT_DATA',
  'Max stack size': 'RLIMIT_STACK',
  'Max core file size': 'RLIMIT_CORE',
  'Max resident set': 'RLIMIT_RSS',
  'Max processes': 'RLIMIT_NPROC',
  'Max open files': 'RLIMIT_NOFILE',
  'Max locked memory': 'RLIMIT_MEMLOCK',
  'Max address space': 'RLIMIT_AS',
  'Max file locks': 'RLIMIT_LOCKS',
  'Max pending signals': 'RLIMIT_SIGPENDING',
  'Max msgqueue size': 'RLIMIT_MSGQUEUE',
  'Max nice priority': 'RLIMIT_NICE',
  'Max realtime priority': 'RLIMIT_RTPRIO',
  'Max realtime timeout': 'RLIMIT_RTTIME',
};

/**
 * Hard limits from the text of /proc/self/limits (Node has no getrlimit). `unlimited` rows are left out:
 * nothing needs clamping there.
 */
export function parseProcLimits(text: string): Partial<Record<RlimitType, number>> {
  const out: Partial<Record<RlimitType, number>> = {};
  for (const line of text.split('\n')) {
    for (const [label, type] of Object.entries(PROC_LIMITS)) {
      if (!line.startsWith(label + ' ')) continue;
      const fields = line.slice(label.length).trim().split(/\s+/);
      const hard = fields[1];
      if (hard !== undefined && /^\d+$/.test(hard)) out[type] = Number(hard);
    }
  }
  return out;
}

/** Defaults overlaid by `extra` (same type replaces), then clamped to `ceilings`. */
export function resolveRlimits(
  extra: readonly Rlimit[] = [],
  ceilings: Partial<Record<RlimitType, number>> = {},
): Rlimit[] {
  const byType = new Map<RlimitType, Rlimit>();
  for (const r of [...DEFAULT_RLIMITS, ...extra]) {
    if (!Number.isSafeInteger(r.soft) || !Number.isSafeInteger(r.hard) || r.soft < 0 || r.hard < 0)
      throw new BundleError(`${r.type}: soft and hard must be non-negative integers`, 'BAD_RLIMIT');
    if (r.soft > r.hard)
      throw new BundleError(`${r.type}: soft limit ${r.soft} exceeds hard limit ${r.hard}`, 'BAD_RLIMIT');
    byType.set(r.type, { ...r });
  }
  return [...byType.values()].map((r) => {
    const ceiling = ceilings[r.type];
    if (ceiling === undefined) return r;
    const hard = Math.min(r.hard, ceiling);
    return { type: r.type, soft: Math.min(r.soft, hard), hard };
  });
}
