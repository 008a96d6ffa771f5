// cgroup resources from the container's requests and limits, with the kubelet's arithmetic
// (MilliCPUToShares, MilliCPUToQuota, calculateLinuxResources).

import { parseQuantity } from '../../limits/quantity';
import { scaledValue } from './field-ref';
import type { OciResources } from './oci-spec';
import { BundleError, type ContainerSpec } from './types';

export const CPU_PERIOD_US = 100_000;
const MIN_SHARES = 2;
const MAX_SHARES = 262_144;
const SHARES_PER_CPU = 1024;
const MIN_QUOTA_US = 1000;

/** cpu.shares for a request in millicores; zero means "no request" and gets the kernel minimum. */
export function milliCpuToShares(milli: number): number {
  if (milli === 0) return MIN_SHARES;
  const shares = Math.floor((milli * SHARES_PER_CPU) / 1000);
  return Math.min(MAX_SHARES, Math.max(MIN_SHARES, shares));
}

/** CFS quota in microseconds per period for a limit in millicores; 0 when there is no limit. */
export function milliCpuToQuota(milli: number, period = CPU_PERIOD_US): number {
  if (milli === 0) return 0;
  return Math.max(MIN_QUOTA_US, Math.floor((milli * period) / 1000));
}

function amount(container: ContainerSpec, list: 'limits' | 'requests', name: string, scale: bigint): number {
  const raw = container.resources?.[list]?.[name];
  if (raw === undefined) return 0;
  const q = parseQuantity(raw);
  if (!q || q.num < 0n)
    throw new BundleError(
      `container "${container.name}": ${list}.${name} "${raw}" is not a valid quantity`,
      'BAD_QUANTITY',
    );
  return Number(scaledValue(q, scale));
}

/** The `linux.resources` section; `pidsLimit` comes from the engine (Kubernetes sets it per pod, not per container). */
export function linuxResources(
  container: ContainerSpec,
  opts: { privileged: boolean; pidsLimit?: number },
): OciResources {
  const cpuLimit = amount(container, 'limits', 'cpu', 1000n);
  const cpuRequest = amount(container, 'requests', 'cpu', 1000n);
  const memoryLimit = amount(container, 'limits', 'memory', 1n);
  // A limit without a request means request = limit (API server defaulting, repeated by the kubelet).
  const shares = milliCpuToShares(cpuRequest === 0 && cpuLimit !== 0 ? cpuLimit : cpuRequest);
  const quota = milliCpuToQuota(cpuLimit);

  const out: OciResources = {
    // Deny every device, runc then allows its standard set (null, zero, tty, ...); privileged gets all of them.
    devices: [{ allow: opts.privileged, access: 'rwm' }],
    cpu: { shares, period: CPU_PERIOD_US, ...(quota > 0 ? { quota } : {}) },
  };
  // Swap is left alone: on cgroup v1 without swap accounting setting it fails.
  if (memoryLimit > 0) out.memory = { limit: memoryLimit };
  if (opts.pidsLimit !== undefined) {
    if (!Number.isInteger(opts.pidsLimit))
      throw new BundleError(`pids limit ${opts.pidsLimit} is not an integer`, 'BAD_QUANTITY');
    out.pids = { limit: opts.pidsLimit };
  }
  return out;
}
