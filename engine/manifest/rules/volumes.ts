// duplicate-volume-name and volume-mount-undeclared: mounts and devices refer to the pod's volumes by name,
// so every name must be declared once.
import { containersOf, describeContainer, listed, objField, objItems, shown, strField } from '../../limits/pod-walk';
import type { FixSpec, Report } from '../report';
import { closest } from './closest';

export function checkVolumes(pod: unknown): Report[] {
  const out: Report[] = [];
  const declared = new Map<string, number>();
  for (const { item, index } of objItems(objField(pod, 'spec'), 'volumes')) {
    const name = strField(item, 'name');
    if (name === undefined) continue;
    const first = declared.get(name);
    if (first === undefined) {
      declared.set(name, index);
      continue;
    }
    out.push({
      rule: 'duplicate-volume-name',
      path: ['spec', 'volumes', index, 'name'],
      message: `Volume ${shown(name)} is declared twice (volumes #${first + 1} and #${index + 1}); mounts could not tell them apart. Rename or remove one.`,
    });
  }
  const names = [...declared.keys()];
  for (const c of containersOf(pod)) {
    for (const list of ['volumeMounts', 'volumeDevices'] as const) {
      for (const { item, index } of objItems(c.container, list)) {
        const name = strField(item, 'name');
        if (name === undefined || declared.has(name)) continue;
        const guess = closest(name, names);
        const fixes: FixSpec[] = guess ? [{ kind: 'set-value', title: `Change to "${guess}"`, value: guess, preferred: true }] : [];
        const known = names.length === 0
          ? 'the pod declares no volumes; add one under spec.volumes.'
          : guess
            ? `did you mean ${shown(guess)}? Declared volumes: ${listed(names)}.`
            : `declared volumes: ${listed(names)}. Declare it under spec.volumes or fix the name.`;
        const noun = list === 'volumeMounts' ? 'volumeMount' : 'volumeDevice';
        out.push({
          rule: 'volume-mount-undeclared',
          path: [...c.path, list, index, 'name'],
          message: `${noun} ${shown(name)} of ${describeContainer(c)} names no volume of this pod; ${known}`,
          fixes,
        });
      }
    }
  }
  return out;
}
