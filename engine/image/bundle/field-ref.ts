// Values of `valueFrom.fieldRef` and `valueFrom.resourceFieldRef`, computed the way the kubelet does
// (podFieldSelectorRuntimeValue and ExtractContainerResourceValue).

import { parseQuantity, type Quantity } from '../../limits/quantity';
import { BundleError, type ContainerSpec, type PodFacts, type ResourceList } from './types';

const SUBSCRIPTED = /^(metadata\.(?:labels|annotations))\['(.*)'\]$/;

/** Resolves a pod field path; unsupported paths are errors, as the API server would have rejected them. */
export function fieldRefValue(fieldPath: string, pod: PodFacts): string {
  const sub = SUBSCRIPTED.exec(fieldPath);
  if (sub) {
    // A missing label or annotation reads as empty, not as an error.
    const map = sub[1] === 'metadata.labels' ? pod.labels : pod.annotations;
    return map?.[sub[2]] ?? '';
  }
  switch (fieldPath) {
    case 'metadata.name':
      return pod.name;
    case 'metadata.namespace':
      return pod.namespace;
    case 'metadata.uid':
      return pod.uid;
    case 'spec.nodeName':
      return pod.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.serviceAccountName ?? '';
    case 'status.podIP':
      return pod.podIP ?? pod.podIPs?.[0] ?? '';
    case 'status.podIPs':
      return (pod.podIPs ?? (pod.podIP ? [pod.podIP] : [])).join(',');
    case 'status.hostIP':
      return pod.hostIP ?? pod.hostIPs?.[0] ?? '';
    case 'status.hostIPs':
      return (pod.hostIPs ?? (pod.hostIP ? [pod.hostIP] : [])).join(',');
  }
  throw new BundleError(`fieldRef "${fieldPath}" is not a field an environment variable can read`, 'BAD_FIELD_REF');
}

function quantity(value: string | number, what: string): Quantity {
  const q = parseQuantity(value);
  if (!q) throw new BundleError(`${what}: "${value}" is not a quantity`, 'BAD_QUANTITY');
  return q;
}

/** Ceiling of a / b for positive b; the kubelet rounds resource values up. */
function ceilDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b > 0n ? q + 1n : q;
}

/** A quantity in units of 1/scale, rounded up (Quantity.MilliValue() for scale 1000, Value() for 1). */
export function scaledValue(q: Quantity, scale: bigint): bigint {
  return ceilDiv(q.num * scale, q.den);
}

/**
 * The container's requests and limits as the kubelet sees them: a request left out but with a limit takes the
 * limit (API server defaulting), and a limit left out reads as the node's allocatable.
 */
export function effectiveResources(
  container: ContainerSpec,
  allocatable: ResourceList = {},
): { limits: ResourceList; requests: ResourceList } {
  const limits: ResourceList = { ...container.resources?.limits };
  const requests: ResourceList = { ...container.resources?.requests };
  for (const [name, value] of Object.entries(limits)) if (!(name in requests)) requests[name] = value;
  for (const name of ['cpu', 'memory', 'ephemeral-storage'])
    if (!(name in limits) && allocatable[name] !== undefined) limits[name] = allocatable[name];
  return { limits, requests };
}

/** `limits.cpu`, `requests.memory`, `limits.hugepages-2Mi`, ... divided by `divisor` (default 1) and rounded up. */
export function resourceFieldRefValue(
  ref: { resource: string; divisor?: string | number },
  container: ContainerSpec,
  allocatable?: ResourceList,
): string {
  const m = /^(limits|requests)\.(cpu|memory|ephemeral-storage|hugepages-.+)$/.exec(ref.resource);
  if (!m) throw new BundleError(`resourceFieldRef "${ref.resource}" is not a supported resource`, 'BAD_RESOURCE_REF');
  const { limits, requests } = effectiveResources(container, allocatable);
  const list = m[1] === 'limits' ? limits : requests;
  const raw = list[m[2]];
  const value = raw === undefined ? { num: 0n, den: 1n } : quantity(raw, `${container.name} ${ref.resource}`);
  // A zero divisor is how the API spells "unset": it means 1.
  let divisor =
    ref.divisor === undefined || ref.divisor === '' ? { num: 1n, den: 1n } : quantity(ref.divisor, 'divisor');
  if (divisor.num === 0n) divisor = { num: 1n, den: 1n };
  // CPU compares in millicores so a `1m` divisor works; the rest in whole units.
  const scale = m[2] === 'cpu' ? 1000n : 1n;
  const d = scaledValue(divisor, scale);
  if (d <= 0n)
    throw new BundleError(`resourceFieldRef "${ref.resource}": divisor must be positive`, 'BAD_RESOURCE_REF');
  return String(ceilDiv(scaledValue(value, scale), d));
}
