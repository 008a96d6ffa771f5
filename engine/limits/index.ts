// The engine's security limits over one pod object (`metadata` + `spec`). Pure and throw-free: the linter
// calls it for every pod and pod template, and `run_pod` calls it again before creating anything, so an
// editor shows exactly what the engine would refuse. Report paths are relative to the pod object.
import type { Report } from '../manifest/report';
import { checkCounts } from './counts';
import { checkMemory } from './memory';
import { checkMetadata } from './metadata';
import { checkMicrovm } from './microvm';
import { checkNames } from './names';
import { field, objField } from './pod-walk';
import { isMicrovm, resolveRuntimeClass } from './runtime-classes';
import { checkSizes } from './sizes';

export interface LimitOptions {
  /** The pod's runtimeClassName as written (aliases allowed); defaults to the pod's own spec.runtimeClassName. */
  runtimeClass?: string;
}

export function checkLimits(pod: unknown, options: LimitOptions = {}): Report[] {
  const written = options.runtimeClass ?? field(objField(pod, 'spec'), 'runtimeClassName');
  const runtimeClass = resolveRuntimeClass(written);
  return [
    ...checkCounts(pod),
    ...checkNames(pod),
    ...checkMetadata(pod),
    ...checkSizes(pod),
    ...checkMemory(pod),
    ...(isMicrovm(runtimeClass) ? checkMicrovm(pod, String(written)) : []),
  ];
}

export { LIMITS, MiB, GiB, type LimitName } from './table';
export { parseQuantity, compare as compareQuantity, formatBytes, formatCpu, type Quantity } from './quantity';
export { resolveRuntimeClass, RUNTIME_CLASSES, RUNTIME_CLASS_ALIASES, RUNTIME_CLASS_NAMES, DEFAULT_RUNTIME_CLASS, type RuntimeClass } from './runtime-classes';
