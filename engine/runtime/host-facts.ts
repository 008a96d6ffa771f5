// Facts about the engine's own process that every bundle needs: its hard rlimits (asking a container for more
// fails with EPERM without CAP_SYS_RESOURCE), its capability bounding set (what `privileged` can grant), and
// whether the kernel runs x32-ABI calls (what the seccomp filters must cover).
import { readFileSync } from 'node:fs';
import { capabilitiesFromMask, parseProcLimits, type RlimitType } from '../image/bundle';
import { x32AbiEnabled } from './x32-abi';

export interface HostFacts {
  rlimitCeilings: Partial<Record<RlimitType, number>>;
  allCapabilities: string[];
  /** undefined: not known (not x86-64, or the probe could not tell). */
  x32?: boolean;
}

let cached: HostFacts | undefined;

export function hostFacts(): HostFacts {
  if (cached) return cached;
  const status = readFileSync('/proc/self/status', 'utf8');
  const bounding = /^CapBnd:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  cached = {
    rlimitCeilings: parseProcLimits(readFileSync('/proc/self/limits', 'utf8')),
    allCapabilities: bounding ? capabilitiesFromMask(bounding) : [],
  };
  const x32 = x32AbiEnabled();
  if (x32 !== undefined) cached.x32 = x32;
  return cached;
}
