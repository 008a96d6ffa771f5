// Facts about the engine's own process that every bundle needs: its hard rlimits (asking a container for more
// fails with EPERM without CAP_SYS_RESOURCE) and its capability bounding set (what `privileged` can grant).
import { readFileSync } from 'node:fs';
import { capabilitiesFromMask, parseProcLimits, type RlimitType } from '../image/bundle';

export interface HostFacts {
  rlimitCeilings: Partial<Record<RlimitType, number>>;
  allCapabilities: string[];
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
  return cached;
}
