// A pod's VM size from its containers' limits, as Kubernetes sizes a pod: app containers and sidecars add up,
// while a plain init container runs beside only the sidecars started before it; the larger of the two counts.
// vCPUs are rounded up; the guest gets the containers' memory plus what its kernel and agent need. Without
// limits, defaults apply. The linter already refuses pods over 8 vCPUs or 4096 MiB (limit-microvm-*).
import { containersOf, resourceOf } from '../../limits/pod-walk';
import { add, compare, ZERO, type Quantity } from '../../limits/quantity';
import { LIMITS } from '../../limits/table';

export const DEFAULT_VCPUS = 1;
export const DEFAULT_MEMORY_MIB = 512;
/** The guest's own share: kernel, page cache of the tools, the agent (Node) and one runc per container. */
export const GUEST_OVERHEAD_MIB = 192;
export const MIN_MEMORY_MIB = 256;

function effective(pod: unknown, resource: 'cpu' | 'memory'): Quantity | undefined {
  const refs = containersOf(pod, ['initContainers', 'containers']);
  let any = false;
  let together = ZERO;
  let sidecars = ZERO;
  let peak = ZERO;
  for (const c of refs) {
    const v = resourceOf(c, 'limits', resource)?.quantity;
    if (v) any = true;
    const q = v ?? ZERO;
    if (c.group === 'initContainers' && !c.sidecar) {
      const alone = add(sidecars, q);
      if (compare(alone, peak) > 0) peak = alone;
      continue;
    }
    if (c.group === 'initContainers') sidecars = add(sidecars, q);
    together = add(together, q);
  }
  if (!any) return undefined;
  return compare(together, peak) >= 0 ? together : peak;
}

function ceilDiv(q: Quantity, unit: bigint): number {
  const d = q.den * unit;
  return Number((q.num + d - 1n) / d);
}

export interface VmSize {
  vcpus: number;
  memoryMiB: number;
}

export function vmSize(pod: unknown): VmSize {
  const cpu = effective(pod, 'cpu');
  const mem = effective(pod, 'memory');
  const vcpus = cpu ? Math.min(LIMITS.microvmVcpusPerPod, Math.max(1, ceilDiv(cpu, 1n))) : DEFAULT_VCPUS;
  const memoryMiB = mem ? Math.min(LIMITS.microvmMemoryMiBPerPod, Math.max(MIN_MEMORY_MIB, ceilDiv(mem, 1024n * 1024n) + GUEST_OVERHEAD_MIB)) : DEFAULT_MEMORY_MIB;
  return { vcpus, memoryMiB };
}
