// Size limits on single values: env values and image references (bytes, UTF-8) and the pod's termination
// grace period (seconds; probes have their own, which the engine does not cap).
import type { Report } from '../manifest/report';
import { containersOf, describeContainer, field, objField, objItems, shown, strField, utf8Bytes } from './pod-walk';
import { LIMITS } from './table';

export function checkSizes(pod: unknown): Report[] {
  const out: Report[] = [];
  const grace = field(objField(pod, 'spec'), 'terminationGracePeriodSeconds');
  if (typeof grace === 'number' && grace > LIMITS.terminationGracePeriodSeconds) {
    const max = LIMITS.terminationGracePeriodSeconds;
    out.push({
      rule: 'limit-grace-period',
      path: ['spec', 'terminationGracePeriodSeconds'],
      message: `terminationGracePeriodSeconds is ${grace}; the engine waits at most ${max} seconds for a pod to stop. Lower it to ${max} or less.`,
      fixes: [{ kind: 'set-value', title: `Set to ${max}`, value: max, preferred: true }],
    });
  }
  for (const c of containersOf(pod)) {
    const image = strField(c.container, 'image');
    if (image !== undefined && utf8Bytes(image) > LIMITS.imageReferenceBytes) {
      out.push({
        rule: 'limit-image-ref',
        path: [...c.path, 'image'],
        message: `Image reference of ${describeContainer(c)} is ${utf8Bytes(image)} bytes; the limit is ${LIMITS.imageReferenceBytes}. Use a shorter repository path or tag.`,
      });
    }
    for (const { item, index } of objItems(c.container, 'env')) {
      const value = strField(item, 'value');
      if (value === undefined) continue;
      const bytes = utf8Bytes(value);
      if (bytes <= LIMITS.envValueBytes) continue;
      const name = strField(item, 'name');
      out.push({
        rule: 'limit-env-value-size',
        path: [...c.path, 'env', index, 'value'],
        message: `Env var ${name !== undefined ? shown(name) : `#${index + 1}`} of ${describeContainer(c)} is ${bytes} bytes; the limit is ${LIMITS.envValueBytes} (32 KiB). Put large data in a ConfigMap or Secret and mount it as a file.`,
      });
    }
  }
  return out;
}
