// Typed, read-only access to the generated schema: walking it along a value path, which the error mapper
// (type names, allowed keys) and describePath (hover, completion) both need.
import schemaJson from './k8s-core.schema.json';
import type { Path } from '../types';

export type SchemaRoot = 'Pod' | 'PodTemplateSpec' | 'ConfigMap' | 'Secret';

/** One node of the generated schema: a definition, a property, array items or map values. */
export interface SchemaNode {
  $ref?: string;
  type?: string | string[];
  description?: string;
  enum?: string[];
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  additionalProperties?: boolean | SchemaNode;
  items?: SchemaNode;
  'x-podsmith-type'?: string;
}

export interface SchemaDocument {
  $schema: string;
  $id: string;
  $comment: string;
  definitions: Record<string, SchemaNode>;
}

export const SCHEMA = schemaJson as unknown as SchemaDocument;

/** The definition a `$ref` points at (refs are always local: #/definitions/Name). */
export function definitionName(node: SchemaNode): string | undefined {
  return node.$ref?.slice('#/definitions/'.length);
}

/** The node itself, or the definition it references. */
export function resolve(node: SchemaNode): SchemaNode {
  const name = definitionName(node);
  return name ? SCHEMA.definitions[name] : node;
}

/** The display type: string, integer, quantity, int-or-string, Container, array of Container, map of string… */
export function displayType(node: SchemaNode): string {
  return node['x-podsmith-type'] ?? definitionName(node) ?? (typeof node.type === 'string' ? node.type : 'object');
}

/** A step of a walk: the node reached, how it was reached, and the label it goes by in messages. */
export interface Step {
  node: SchemaNode;
  /** The definition the node resolves to, when it is an object type. */
  definition?: string;
  /** Whether the step's key is required by its parent. */
  required: boolean;
  /** A short name for messages: `image`, `ports[0]`, `limits.memory`. */
  label: string;
}

function rootStep(root: SchemaRoot): Step {
  return { node: { $ref: `#/definitions/${root}` }, definition: root, required: true, label: root };
}

/** The node under `from` for one path segment, or undefined when the schema has no such place. */
function child(from: Step, seg: string | number): Step | undefined {
  const node = resolve(from.node);
  let next: SchemaNode | undefined;
  let required = false;
  let label: string;
  if (typeof seg === 'number') {
    next = node.items;
    label = `${from.label}[${seg}]`;
  } else if (node.properties && Object.prototype.hasOwnProperty.call(node.properties, seg)) {
    next = node.properties[seg];
    required = node.required?.includes(seg) ?? false;
    label = seg;
  } else if (node.additionalProperties && typeof node.additionalProperties === 'object') {
    next = node.additionalProperties;
    label = `${from.label}.${seg}`;
  } else return undefined;
  if (!next) return undefined;
  return { node: next, definition: definitionName(next), required, label };
}

/** Every step from the root along `path`; shorter than path + 1 when the path leaves the schema. */
export function walk(root: SchemaRoot, path: Path): Step[] {
  const steps = [rootStep(root)];
  for (const seg of path) {
    const next = child(steps[steps.length - 1], seg);
    if (!next) break;
    steps.push(next);
  }
  return steps;
}

/** The step at the end of `path`, if the schema reaches that far. */
export function stepAt(root: SchemaRoot, path: Path): Step | undefined {
  const steps = walk(root, path);
  return steps.length === path.length + 1 ? steps[steps.length - 1] : undefined;
}
