// limit-microvm-cpu, limit-microvm-memory: a microVM pod is one VM, sized from its containers' limits, and
// the hypervisor caps a VM at 8 vCPUs and 4096 MiB. Like Kubernetes' effective pod resources, app containers
// and sidecars (init containers with restartPolicy Always) add up, while a plain init container runs alone
// beside the sidecars started before it.
import type { Report } from '../manifest/report';
import { capitalized, containersOf, describeContainer, type ResourceValue, resourceOf } from './pod-walk';
import { add, compare, formatBytes, formatCpu, quantityOf, sub, ZERO, type Quantity } from './quantity';
import { LIMITS, MiB } from './table';

interface Budget {
  rule: string;
  resource: 'cpu' | 'memory';
  max: Quantity;
  /** The maximum as the message states it. */
  maxText: string;
  format: (q: Quantity) => string;
}

function checkBudget(pod: unknown, runtimeClass: string, b: Budget): Report[] {
  const out: Report[] = [];
  const overBy = (used: Quantity, v: ResourceValue, message: string): Report => {
    const room = sub(b.max, used);
    const text = b.format(room);
    // Clamping only helps when the containers before this one leave room for it. Whole numbers stay numbers.
    const fixes = compare(room, ZERO) > 0
      ? [{ kind: 'set-value' as const, title: `Set to ${text}`, value: /^\d+$/.test(text) ? Number(text) : text, preferred: true }]
      : [];
    return { rule: b.rule, path: v.path, message, fixes };
  };
  const refs = containersOf(pod, ['initContainers', 'containers']);
  const together = refs.filter((c) => c.group === 'containers' || c.sidecar);
  const total = together.reduce((sum, c) => add(sum, resourceOf(c, 'limits', b.resource)?.quantity ?? ZERO), ZERO);
  let running = ZERO;
  let reported = false;
  for (const c of refs) {
    const v = resourceOf(c, 'limits', b.resource);
    if (!v) continue;
    const sum = add(running, v.quantity);
    if (c.group === 'initContainers' && !c.sidecar) {
      if (compare(sum, b.max) > 0) {
        out.push(overBy(running, v, `${capitalized(describeContainer(c))} has a ${b.resource} limit of ${String(v.raw)}${sidecars(running, b)}; runtime class ${runtimeClass} gives a pod at most ${b.maxText}. Lower the limit to fit.`));
      }
      continue;
    }
    if (!reported && compare(sum, b.max) > 0) {
      reported = true;
      out.push(overBy(running, v, `${capitalized(describeContainer(c))} brings the pod's ${b.resource} limits to ${b.format(sum)} (all containers together: ${b.format(total)}); runtime class ${runtimeClass} gives a pod at most ${b.maxText}. Lower the limits so they add up to ${b.maxText} or less.`));
    }
    running = sum;
  }
  return out;
}

function sidecars(running: Quantity, b: Budget): string {
  return compare(running, ZERO) > 0 ? ` (${b.format(running)} more for the sidecars running beside it)` : '';
}

export function checkMicrovm(pod: unknown, runtimeClass: string): Report[] {
  return [
    ...checkBudget(pod, runtimeClass, {
      rule: 'limit-microvm-cpu',
      resource: 'cpu',
      max: quantityOf(LIMITS.microvmVcpusPerPod),
      maxText: `${LIMITS.microvmVcpusPerPod} vCPUs`,
      format: formatCpu,
    }),
    ...checkBudget(pod, runtimeClass, {
      rule: 'limit-microvm-memory',
      resource: 'memory',
      max: quantityOf(LIMITS.microvmMemoryMiBPerPod * MiB),
      maxText: `${LIMITS.microvmMemoryMiBPerPod} MiB`,
      format: formatBytes,
    }),
  ];
}
