// no-containers and duplicate-container-name. A missing `containers` is the schema's (required); an empty
// list passes the schema but leaves the pod with nothing to run. Names are unique across init, app and
// ephemeral containers because logs, exec and status all address containers by name alone.
import { arrField, containerSlot, containersOf, objField, shown } from '../../limits/pod-walk';
import type { Report } from '../report';

export function checkContainers(pod: unknown): Report[] {
  const out: Report[] = [];
  const list = arrField(objField(pod, 'spec'), 'containers');
  if (list && list.length === 0) {
    out.push({
      rule: 'no-containers',
      path: ['spec', 'containers'],
      target: 'key',
      message: 'containers is empty; a pod needs at least one app container to run. Add one.',
    });
  }
  const seen = new Map<string, string>();
  const taken = new Set(containersOf(pod).flatMap((c) => (c.name !== undefined ? [c.name] : [])));
  for (const c of containersOf(pod)) {
    if (c.name === undefined) continue;
    const first = seen.get(c.name);
    if (first === undefined) {
      seen.set(c.name, containerSlot(c));
      continue;
    }
    const fresh = unusedName(c.name, taken);
    taken.add(fresh);
    out.push({
      rule: 'duplicate-container-name',
      path: [...c.path, 'name'],
      message: `Container name ${shown(c.name)} is already used by ${first}; names must be unique across init, app and ephemeral containers. Rename this ${containerSlot(c)}.`,
      fixes: [{ kind: 'set-value', title: `Rename to "${fresh}"`, value: fresh }],
    });
  }
  return out;
}

/** `web-2`, `web-3`, … whichever is free first. */
function unusedName(name: string, taken: Set<string>): string {
  for (let i = 2; ; i++) {
    const candidate = `${name}-${i}`;
    if (!taken.has(candidate)) return candidate;
  }
}
