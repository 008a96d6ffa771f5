// duplicate-env-name: the same variable set twice in one container. Kubernetes keeps the last value, which
// hides the first one; usually a merge or copy-paste mistake.
import { containersOf, describeContainer, objItems, shown, strField } from '../../limits/pod-walk';
import type { Report } from '../report';

export function checkEnv(pod: unknown): Report[] {
  const out: Report[] = [];
  for (const c of containersOf(pod)) {
    const seen = new Map<string, number>();
    for (const { item, index } of objItems(c.container, 'env')) {
      const name = strField(item, 'name');
      if (name === undefined) continue;
      const first = seen.get(name);
      if (first === undefined) {
        seen.set(name, index);
        continue;
      }
      out.push({
        rule: 'duplicate-env-name',
        path: [...c.path, 'env', index, 'name'],
        message: `Env var ${shown(name)} is set again in ${describeContainer(c)} (first at env #${first + 1}); only the last value takes effect. Remove one of them.`,
      });
    }
  }
  return out;
}
