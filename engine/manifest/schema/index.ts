// PLACEHOLDER until the schema module lands: see the contract in the comments.
import type { Report } from '../report';
import type { Path } from '../types';

/** The schema roots Podsmith validates against. Workload templates are validated as PodTemplateSpec. */
export type SchemaRoot = 'Pod' | 'PodTemplateSpec' | 'ConfigMap' | 'Secret';

export interface FieldInfo {
  /** Display type: string, integer, boolean, object, array of X, quantity, int-or-string, map of string. */
  type: string;
  description?: string;
  enum?: string[];
  required?: boolean;
  /** Child fields, for objects (completion). */
  properties?: Record<string, { type: string; description?: string; required?: boolean }>;
}

/** Validates `value` (the root object) and returns reports with paths relative to it. */
export function validateSchema(_root: SchemaRoot, _value: unknown): Report[] {
  return [];
}

/** Schema facts for a path relative to a root (array indexes may be numbers). */
export function describePath(_root: SchemaRoot, _path: Path): FieldInfo | undefined {
  return undefined;
}
