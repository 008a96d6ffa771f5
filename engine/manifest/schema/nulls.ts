// Kubernetes decodes `field: null` (or a bare `field:` in YAML) as "not set", so a null member is dropped
// before validation rather than reported as the wrong type. Null list items stay: they are real errors.
import type { Path } from '../types';
import { pathKey, type NullKeys } from './reports';

/** `value` without null-valued object members (copied only where something changes), and where they were. */
export function withoutNulls(value: unknown): { value: unknown; nulls: NullKeys } {
  const nulls: NullKeys = new Set();
  // Most manifests have no null member at all: an allocation-free scan settles that first.
  if (!hasNullMember(value)) return { value, nulls };
  // One mutable path stack: a copy is made only when a null is found, which keeps the common case cheap.
  const out = strip(value, [], nulls);
  return { value: out, nulls };
}

function hasNullMember(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return false;
  if (Array.isArray(v)) {
    for (const item of v) if (hasNullMember(item)) return true;
    return false;
  }
  const obj = v as Record<string, unknown>;
  for (const k in obj) {
    const child = obj[k];
    if (child === null || hasNullMember(child)) return true;
  }
  return false;
}

function strip(v: unknown, path: Path, nulls: NullKeys): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      path.push(i);
      const s = strip(v[i], path, nulls);
      path.pop();
      if (s !== v[i]) (copy ??= v.slice())[i] = s;
    }
    return copy ?? v;
  }
  const obj = v as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const k of Object.keys(obj)) {
    const child = obj[k];
    if (child === null) {
      nulls.add(pathKey([...path, k]));
      copy ??= { ...obj };
      delete copy[k];
      continue;
    }
    path.push(k);
    const s = strip(child, path, nulls);
    path.pop();
    if (s !== child) (copy ??= { ...obj })[k] = s;
  }
  return copy ?? v;
}
