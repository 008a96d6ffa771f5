// The runtime classes the engine serves (from the pod runtime's executors) and their aliases. A pod without
// runtimeClassName runs as plain containers.

export type RuntimeClass = 'pod-containers' | 'pod-wasm' | 'pod-microvm-containers';

export const RUNTIME_CLASSES: readonly RuntimeClass[] = ['pod-containers', 'pod-wasm', 'pod-microvm-containers'];

/** Short names accepted for a runtime class. */
export const RUNTIME_CLASS_ALIASES: Readonly<Record<string, RuntimeClass>> = { 'pod-microvm': 'pod-microvm-containers' };

export const DEFAULT_RUNTIME_CLASS: RuntimeClass = 'pod-containers';

/** Every name a manifest may write, canonical names first. */
export const RUNTIME_CLASS_NAMES: readonly string[] = [...RUNTIME_CLASSES, ...Object.keys(RUNTIME_CLASS_ALIASES)];

/**
 * The runtime class a `runtimeClassName` value selects: the default when absent, undefined when the name is
 * unknown (or not a string; the schema reports that).
 */
export function resolveRuntimeClass(name: unknown): RuntimeClass | undefined {
  if (name === undefined || name === null) return DEFAULT_RUNTIME_CLASS;
  if (typeof name !== 'string') return undefined;
  if ((RUNTIME_CLASSES as readonly string[]).includes(name)) return name as RuntimeClass;
  return Object.prototype.hasOwnProperty.call(RUNTIME_CLASS_ALIASES, name) ? RUNTIME_CLASS_ALIASES[name] : undefined;
}

export function isMicrovm(rc: RuntimeClass | undefined): boolean {
  return rc === 'pod-microvm-containers';
}
