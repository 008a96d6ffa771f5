// The pod cgroup's limits, computed from the spec as the kubelet does (also the ceiling of memory-backed
// emptyDir volumes, volumes.ts).
import { milliCpuToQuota } from '../../image/bundle';
import { parseQuantity } from '../../limits';
import type { PodLimits } from '../../runtime';
import type { PodContainer, PodObject } from './pod-spec';

function quantity(c: PodContainer, resource: 'memory' | 'cpu'): number | undefined {
  const raw = c.resources?.limits?.[resource];
  const q = raw === undefined ? undefined : parseQuantity(raw);
  if (!q) return undefined;
  return resource === 'cpu' ? Math.ceil(Number((q.num * 1000n) / q.den)) : Number(q.num / q.den);
}

/**
 * The pod cgroup's limits, as the kubelet computes them: a resource is capped for the pod only when every
 * container limits it, at the larger of the long-running containers' sum and the largest init container.
 */
export function podLimits(pod: PodObject, pidsLimit: number): PodLimits {
  const inits = (pod.spec.initContainers ?? []).filter((c) => c.restartPolicy !== 'Always');
  const longRunning = [...(pod.spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always'), ...pod.spec.containers];
  const total = (resource: 'memory' | 'cpu'): number | undefined => {
    const all = [...inits, ...longRunning].map((c) => quantity(c, resource));
    if (all.some((x) => x === undefined)) return undefined;
    const sum = longRunning.reduce((s, c) => s + quantity(c, resource)!, 0);
    return Math.max(sum, ...inits.map((c) => quantity(c, resource)!));
  };
  const memory = total('memory');
  const cpu = total('cpu');
  return {
    ...(memory ? { memoryBytes: memory } : {}),
    ...(cpu ? { cpuQuotaUs: milliCpuToQuota(cpu), cpuPeriodUs: 100_000 } : {}),
    ...(pidsLimit > 0 ? { pids: pidsLimit } : {}),
  };
}
