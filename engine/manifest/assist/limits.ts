// The security limit behind a field, in words, for hover. The numbers come from the engine's table so the
// hover text and what `run_pod` refuses cannot drift apart.
import { LIMITS } from '../../limits/table';
import { RUNTIME_CLASSES, RUNTIME_CLASS_ALIASES } from '../../limits/runtime-classes';
import type { Path } from '../types';
import { placement } from './schema-view';

const C = '{containers,initContainers}';

/** Path patterns relative to the pod object: `*` matches one segment, `{a,b}` one of the listed keys. */
const POD_LIMITS: [string, () => string][] = [
  ['spec.terminationGracePeriodSeconds', () => `at most ${LIMITS.terminationGracePeriodSeconds} s`],
  ['spec.containers', () => `at most ${LIMITS.containersPerPod} containers per pod`],
  ['spec.initContainers', () => `at most ${LIMITS.initContainersPerPod} init containers per pod`],
  ['spec.volumes', () => `at most ${LIMITS.volumesPerPod} volumes per pod`],
  [`spec.${C}.*.name`, () => `an RFC 1123 label of at most ${LIMITS.containerNameLength} characters`],
  [`spec.${C}.*.image`, () => `at most ${LIMITS.imageReferenceBytes} bytes`],
  [`spec.${C}.*.env`, () => `at most ${LIMITS.envVarsPerContainer} variables per container`],
  [`spec.${C}.*.env.*.value`, () => `at most ${bytes(LIMITS.envValueBytes)} per value`],
  [`spec.${C}.*.resources.{limits,requests}.memory`, () => `at most ${bytes(LIMITS.containerMemoryBytes)} per container`],
  ['spec.runtimeClassName', runtimeClassNote],
];

/** Object metadata limits: they hold for the pod and for the document's own metadata. */
const METADATA_LIMITS: [string, () => string][] = [
  ['metadata.name', () => `an RFC 1123 subdomain of at most ${LIMITS.podNameLength} characters`],
  ['metadata.namespace', () => `an RFC 1123 label of at most ${LIMITS.namespaceLength} characters`],
  ['metadata.labels', () => `at most ${LIMITS.labelsPerObject} labels; keys at most ${LIMITS.labelKeyBytes} bytes`],
  ['metadata.labels.*', () => `keys at most ${LIMITS.labelKeyBytes} bytes`],
  ['metadata.annotations', () => `at most ${LIMITS.annotationsPerObject} annotations`],
];

function runtimeClassNote(): string {
  const aliases = Object.entries(RUNTIME_CLASS_ALIASES).map(([a, c]) => `\`${a}\` for \`${c}\``);
  return (
    `one of ${RUNTIME_CLASSES.map((c) => `\`${c}\``).join(', ')}` +
    (aliases.length ? ` (alias ${aliases.join(', ')})` : '') +
    `; a microVM pod gets at most ${LIMITS.microvmVcpusPerPod} vCPUs and ${LIMITS.microvmMemoryMiBPerPod} MiB`
  );
}

export function bytes(n: number): string {
  const units: [number, string][] = [
    [1024 ** 3, 'GiB'],
    [1024 ** 2, 'MiB'],
    [1024, 'KiB'],
  ];
  for (const [size, unit] of units) if (n >= size && n % size === 0) return `${n / size} ${unit}`;
  return `${n} bytes`;
}

/** "at most 300 s" and the like for the field at `path` in a document of `kind`, when a limit applies. */
export function limitNote(kind: string | undefined, path: Path): string | undefined {
  const { podRel } = placement(kind, path);
  if (podRel) {
    const hit = match(POD_LIMITS, podRel) ?? match(METADATA_LIMITS, podRel);
    if (hit) return hit;
  }
  // The document's own metadata (a Deployment's name, a ConfigMap's labels).
  if (kind && path[0] === 'metadata') return match(METADATA_LIMITS, path);
  return undefined;
}

function match(table: [string, () => string][], path: Path): string | undefined {
  for (const [pattern, note] of table) if (matches(pattern, path)) return note();
  return undefined;
}

function matches(pattern: string, path: Path): boolean {
  const parts = pattern.split('.');
  if (parts.length !== path.length) return false;
  return parts.every((p, i) => {
    const seg = path[i];
    if (p === '*') return true;
    if (p.startsWith('{')) return p.slice(1, -1).split(',').includes(String(seg));
    return p === seg;
  });
}
