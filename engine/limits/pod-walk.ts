// Typed, throw-free access to a pod object that may hold anything: checks read through these helpers and
// simply skip values of the wrong type, which the schema validation reports on its own.
import type { Path } from '../manifest/types';
import { parseQuantity, type Quantity } from './quantity';

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An own property only: names from the manifest must never reach Object.prototype. */
export function field(o: unknown, key: string): unknown {
  return isObj(o) && Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined;
}

export function objField(o: unknown, key: string): Obj | undefined {
  const v = field(o, key);
  return isObj(v) ? v : undefined;
}

export function arrField(o: unknown, key: string): unknown[] | undefined {
  const v = field(o, key);
  return Array.isArray(v) ? v : undefined;
}

export function strField(o: unknown, key: string): string | undefined {
  const v = field(o, key);
  return typeof v === 'string' ? v : undefined;
}

export type ContainerGroup = 'initContainers' | 'containers' | 'ephemeralContainers';

export const CONTAINER_GROUPS: readonly ContainerGroup[] = ['initContainers', 'containers', 'ephemeralContainers'];

export interface ContainerRef {
  group: ContainerGroup;
  index: number;
  /** Path of the container object from the pod root. */
  path: Path;
  container: Obj;
  /** The container's name when it is a string. */
  name?: string;
  /** An init container with restartPolicy Always keeps running beside the app containers. */
  sidecar: boolean;
}

/** Containers of the given groups, in manifest order (init first), skipping items that are not objects. */
export function containersOf(pod: unknown, groups: readonly ContainerGroup[] = CONTAINER_GROUPS): ContainerRef[] {
  const spec = objField(pod, 'spec');
  const out: ContainerRef[] = [];
  for (const group of groups) {
    const list = arrField(spec, group) ?? [];
    list.forEach((container, index) => {
      if (!isObj(container)) return;
      const sidecar = group === 'initContainers' && field(container, 'restartPolicy') === 'Always';
      out.push({ group, index, path: ['spec', group, index], container, name: strField(container, 'name'), sidecar });
    });
  }
  return out;
}

const GROUP_NOUN: Record<ContainerGroup, string> = {
  initContainers: 'init container',
  containers: 'container',
  ephemeralContainers: 'ephemeral container',
};

/** How messages name a container: `container "web"`, or `init container #2` when it has no name. */
export function describeContainer(c: Pick<ContainerRef, 'group' | 'index' | 'name'>): string {
  return c.name !== undefined ? `${GROUP_NOUN[c.group]} ${shown(c.name)}` : `${GROUP_NOUN[c.group]} #${c.index + 1}`;
}

/** Items of an array field that are objects, with their index. */
export function objItems(o: unknown, key: string): { item: Obj; index: number }[] {
  const out: { item: Obj; index: number }[] = [];
  (arrField(o, key) ?? []).forEach((item, index) => {
    if (isObj(item)) out.push({ item, index });
  });
  return out;
}

/** Own entries of a map field, when it is a map. */
export function entriesOf(o: unknown, key: string): [string, unknown][] {
  const v = objField(o, key);
  return v ? Object.entries(v) : [];
}

export function utf8Bytes(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** A manifest string quoted for a message, cut short so a huge value cannot flood the problems panel. */
export function shown(s: string, max = 80): string {
  return JSON.stringify(s.length > max ? `${s.slice(0, max)}…` : s);
}

export interface ResourceValue {
  path: Path;
  /** As written: a string or a number. */
  raw: unknown;
  quantity: Quantity;
}

/** `resources.<kind>.<resource>` of a container, when it parses as a quantity. */
export function resourceOf(c: ContainerRef, kind: 'limits' | 'requests', resource: string): ResourceValue | undefined {
  const raw = field(objField(objField(c.container, 'resources'), kind), resource);
  const quantity = parseQuantity(raw);
  return quantity ? { path: [...c.path, 'resources', kind, resource], raw, quantity } : undefined;
}

export function capitalized(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Where a container sits, for telling apart two that share a name: `init container #1`. */
export function containerSlot(c: Pick<ContainerRef, 'group' | 'index'>): string {
  return `${GROUP_NOUN[c.group]} #${c.index + 1}`;
}

/** Names for a message, quoted, at most `max` of them. */
export function listed(names: string[], max = 8): string {
  const head = names.slice(0, max).map((n) => shown(n, 40)).join(', ');
  return names.length > max ? `${head} and ${names.length - max} more` : head;
}
