// limit-memory: no container may ask for or be limited to more than the engine's per-container maximum.
// Ephemeral containers take no resources, so init and app containers are checked.
import type { Report } from '../manifest/report';
import { containersOf, describeContainer, resourceOf } from './pod-walk';
import { compare, formatBytes, humanBytes, quantityOf } from './quantity';
import { LIMITS } from './table';

export function checkMemory(pod: unknown): Report[] {
  const max = quantityOf(LIMITS.containerMemoryBytes);
  const maxText = formatBytes(max);
  const out: Report[] = [];
  for (const c of containersOf(pod, ['initContainers', 'containers'])) {
    for (const kind of ['requests', 'limits'] as const) {
      const v = resourceOf(c, kind, 'memory');
      if (!v || compare(v.quantity, max) <= 0) continue;
      const noun = kind === 'limits' ? 'Memory limit' : 'Memory request';
      out.push({
        rule: 'limit-memory',
        path: v.path,
        message: `${noun} ${String(v.raw)} (${humanBytes(v.quantity)}) of ${describeContainer(c)} is above the engine's ${maxText} per-container maximum. Lower it to ${maxText} or less.`,
        fixes: [{ kind: 'set-value', title: `Set to ${maxText}`, value: maxText, preferred: true }],
      });
    }
  }
  return out;
}
