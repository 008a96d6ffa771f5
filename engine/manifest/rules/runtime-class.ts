// unknown-runtime-class: the engine has three executors; any other runtimeClassName would leave the pod with
// nothing to run it.
import { field, objField, shown } from '../../limits/pod-walk';
import { RUNTIME_CLASS_ALIASES, RUNTIME_CLASS_NAMES, RUNTIME_CLASSES, resolveRuntimeClass } from '../../limits/runtime-classes';
import type { FixSpec, Report } from '../report';
import { closest } from './closest';

export function checkRuntimeClass(pod: unknown): Report[] {
  const name = field(objField(pod, 'spec'), 'runtimeClassName');
  if (typeof name !== 'string' || resolveRuntimeClass(name) !== undefined) return [];
  const near = closest(name, RUNTIME_CLASS_NAMES);
  const nearest = near ?? closest(name, RUNTIME_CLASSES, false);
  const fixes: FixSpec[] = nearest
    ? [{ kind: 'set-value', title: `Change to ${nearest}`, value: nearest, preferred: near !== undefined }]
    : [];
  const aliases = Object.entries(RUNTIME_CLASS_ALIASES).map(([a, to]) => `${a} for ${to}`).join(', ');
  return [{
    rule: 'unknown-runtime-class',
    path: ['spec', 'runtimeClassName'],
    message: `Runtime class ${shown(name)} is not one this engine runs; use ${RUNTIME_CLASSES.join(', ')} (alias ${aliases})${near ? `. Did you mean ${near}?` : '.'}`,
    fixes,
  }];
}
