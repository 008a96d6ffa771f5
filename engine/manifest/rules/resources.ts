// requests-exceed-limits: a request is what the pod is guaranteed and the limit is the most it may use, so a
// request above its limit is contradictory and the API server refuses it. Compared as exact quantities, so
// `1536Mi` against `1.5Gi` is equal, not different text.
import { containersOf, describeContainer, entriesOf, objField, resourceOf, shown } from '../../limits/pod-walk';
import { compare } from '../../limits/quantity';
import type { Report } from '../report';

export function checkResources(pod: unknown): Report[] {
  const out: Report[] = [];
  for (const c of containersOf(pod, ['initContainers', 'containers'])) {
    for (const [resource] of entriesOf(objField(c.container, 'resources'), 'requests')) {
      const request = resourceOf(c, 'requests', resource);
      const limit = resourceOf(c, 'limits', resource);
      if (!request || !limit || compare(request.quantity, limit.quantity) <= 0) continue;
      const limitText = String(limit.raw);
      out.push({
        rule: 'requests-exceed-limits',
        path: request.path,
        message: `${shown(resource)} request ${String(request.raw)} of ${describeContainer(c)} is above its limit ${limitText}; a request may not exceed the limit. Lower the request to ${limitText} or raise the limit.`,
        fixes: [{ kind: 'set-value', title: `Lower the request to ${limitText}`, value: limit.raw as string | number, preferred: true }],
      });
    }
  }
  return out;
}
