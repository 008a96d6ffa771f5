// The container environment, in two steps as in a real node:
//  1. the kubelet's part (makeEnvironmentVariables): envFrom sources in order, then `env` entries in order, each
//     `value` expanded against what is defined so far plus the service variables; then service variables the
//     container did not define. Image variables take no part here: `$(PATH)` does not see the image's PATH.
//  2. the runtime's part (containerd CRI): defaults (PATH, HOSTNAME, TERM with a tty), then the image Env, then
//     step 1's variables, each replacing an earlier entry of the same name in place.

import { expand, lookupIn } from './expansion';
import { fieldRefValue, resourceFieldRefValue } from './field-ref';
import { BundleError, type ContainerSpec, type EnvSources, type EnvVarSource, type PodFacts } from './types';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

// k8s.io/apimachinery IsEnvVarName: letters, digits, `_`, `-`, `.`, not starting with a digit.
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
// RelaxedEnvironmentVariableValidation: printable ASCII but `=`.
const RELAXED_ENV_NAME = /^[\x20-\x3c\x3e-\x7e]+$/;

export function isEnvVarName(name: string, relaxed = false): boolean {
  return (relaxed ? RELAXED_ENV_NAME : ENV_NAME).test(name);
}

export interface KubeletEnv {
  /** Name → value in first-definition order (a redefinition keeps the original position). */
  vars: Map<string, string>;
  warnings: string[];
}

function sourceData(
  kind: 'configMap' | 'secret',
  name: string,
  sources: EnvSources,
): Record<string, string> | undefined {
  const maps = kind === 'configMap' ? sources.configMaps : sources.secrets;
  return maps && Object.prototype.hasOwnProperty.call(maps, name) ? maps[name] : undefined;
}

function missing(kind: 'configMap' | 'secret', name: string, container: string): BundleError {
  return new BundleError(
    `container "${container}": ${kind} "${name}" not found (mark the reference optional to run without it)`,
    kind === 'configMap' ? 'MISSING_CONFIG_MAP' : 'MISSING_SECRET',
  );
}

/** Step 1: what the kubelet hands to the runtime. */
export function kubeletEnv(container: ContainerSpec, pod: PodFacts, sources: EnvSources = {}): KubeletEnv {
  const vars = new Map<string, string>();
  const warnings: string[] = [];

  for (const from of container.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    if (!ref) continue;
    const kind = from.configMapRef ? 'configMap' : 'secret';
    const data = sourceData(kind, ref.name, sources);
    if (!data) {
      if (ref.optional) continue;
      throw missing(kind, ref.name, container.name);
    }
    const invalid: string[] = [];
    for (const [key, value] of Object.entries(data)) {
      // The prefix is applied before the name check, so a prefix can make a digit-led key valid.
      const name = (from.prefix ?? '') + key;
      if (!isEnvVarName(name, sources.relaxedEnvNames)) {
        invalid.push(name);
        continue;
      }
      vars.set(name, value);
    }
    if (invalid.length > 0)
      warnings.push(
        `container "${container.name}": keys [${invalid.sort().join(', ')}] from the envFrom ${kind} ` +
          `${pod.namespace}/${ref.name} were skipped since they are not valid environment variable names`,
      );
  }

  for (const entry of container.env ?? []) {
    let value = entry.value ?? '';
    if (value !== '') {
      value = expand(value, lookupIn(vars, sources.serviceEnv));
    } else if (entry.valueFrom) {
      const resolved = valueFrom(entry.name, entry.valueFrom, container, pod, sources);
      // An optional key that is absent leaves the variable undefined rather than empty.
      if (resolved === undefined) continue;
      value = resolved;
    }
    vars.set(entry.name, value);
  }

  for (const [name, value] of Object.entries(sources.serviceEnv ?? {})) if (!vars.has(name)) vars.set(name, value);
  return { vars, warnings };
}

function valueFrom(
  name: string,
  from: EnvVarSource,
  container: ContainerSpec,
  pod: PodFacts,
  sources: EnvSources,
): string | undefined {
  if (from.fieldRef) return fieldRefValue(from.fieldRef.fieldPath, pod);
  if (from.resourceFieldRef) return resourceFieldRefValue(from.resourceFieldRef, container, sources.nodeAllocatable);
  const ref = from.configMapKeyRef ?? from.secretKeyRef;
  if (!ref) return '';
  const kind = from.configMapKeyRef ? 'configMap' : 'secret';
  const data = sourceData(kind, ref.name, sources);
  if (!data) {
    if (ref.optional) return undefined;
    throw missing(kind, ref.name, container.name);
  }
  if (!Object.prototype.hasOwnProperty.call(data, ref.key)) {
    if (ref.optional) return undefined;
    throw new BundleError(
      `container "${container.name}": env ${name} needs key "${ref.key}" of ${kind} "${ref.name}", which it does not have`,
      'MISSING_KEY',
    );
  }
  return data[ref.key];
}

/** Step 2: the final `NAME=value` list for the OCI process. */
export function mergeEnv(
  imageEnv: readonly string[] | undefined,
  kubelet: ReadonlyMap<string, string>,
  defaults: { hostname: string; tty: boolean },
): string[] {
  const merged = new Map<string, string>();
  merged.set('PATH', DEFAULT_PATH);
  merged.set('HOSTNAME', defaults.hostname);
  if (defaults.tty) merged.set('TERM', 'xterm');
  for (const entry of imageEnv ?? []) {
    const eq = entry.indexOf('=');
    // Images always write NAME=value; a stray bare NAME becomes empty so every entry keeps that shape.
    if (eq === 0) continue;
    if (eq < 0) merged.set(entry, '');
    else merged.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  for (const [name, value] of kubelet) merged.set(name, value);
  return [...merged].map(([name, value]) => `${name}=${value}`);
}

/** The hostname the kubelet gives a pod: `spec.hostname`, else the name cut to 63 characters without a trailing `-` or `.`. */
export function podHostname(pod: PodFacts): string {
  if (pod.hostname) return pod.hostname;
  if (pod.name.length <= 63) return pod.name;
  return pod.name.slice(0, 63).replace(/[-.]+$/, '');
}
