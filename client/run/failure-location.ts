// Where in a manifest a failed run's error belongs: the engine names a container (pull failed, init container
// exited, missing executable, postStart hook, OOM), a volume, or field paths (limits); this maps those names to
// the line that declares them, so the editor can underline it. No VS Code imports.
import type { ManifestDocument } from '../../engine/manifest/documents';
import type { ParsedFile } from '../../engine/manifest/parse';
import { rangeOf } from '../../engine/manifest/source-map';
import type { Path, Range } from '../../engine/manifest/types';
import type { PodError } from '../../engine/pods/types';

export interface FailureSpot {
  range: Range;
  message: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const GROUPS = ['initContainers', 'containers', 'ephemeralContainers'] as const;

function podObject(doc: ManifestDocument): Obj | undefined {
  let v: unknown = doc.value;
  for (const seg of doc.podPath ?? []) v = isObj(v) || Array.isArray(v) ? (v as Obj)[seg as string] : undefined;
  return isObj(v) ? v : undefined;
}

/** The container's path inside the pod object, and its spec. */
function findContainer(pod: Obj, name: string): { path: Path; spec: Obj } | undefined {
  const spec = isObj(pod.spec) ? pod.spec : undefined;
  for (const group of GROUPS) {
    const list = spec?.[group];
    if (!Array.isArray(list)) continue;
    const i = list.findIndex((c) => isObj(c) && c.name === name);
    if (i >= 0) return { path: ['spec', group, i], spec: list[i] as Obj };
  }
  return undefined;
}

function has(spec: Obj, path: Path): boolean {
  let v: unknown = spec;
  for (const seg of path) {
    if (!isObj(v) && !Array.isArray(v)) return false;
    v = (v as Obj)[seg as string];
  }
  return v !== undefined;
}

/** Field paths in a limits message: `... limits: spec.containers.0.resources.limits.memory: ...; metadata.name: ...`. */
function limitPaths(message: string): Path[] {
  const out: Path[] = [];
  for (const m of message.matchAll(/(?:^|: |; )((?:metadata|spec)(?:\.[A-Za-z0-9_-]+)+): /g)) {
    out.push(m[1].split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s)));
  }
  return out;
}

/** Which field of a failing container to point at, from the error's code and reason. */
function containerField(err: Pick<PodError, 'code' | 'message' | 'details'>, spec: Obj): Path {
  const reason = err.details?.failure?.reason;
  if (err.code === 'IMAGE' && has(spec, ['image'])) return ['image'];
  if (reason === 'FailedPostStartHook' && has(spec, ['lifecycle', 'postStart'])) return ['lifecycle', 'postStart'];
  if (reason === 'OOMKilled' && has(spec, ['resources', 'limits', 'memory'])) return ['resources', 'limits', 'memory'];
  if (/executable file not found|no such file or directory|permission denied/i.test(err.message)) {
    if (has(spec, ['command'])) return ['command'];
    if (has(spec, ['args'])) return ['args'];
    if (has(spec, ['image'])) return ['image'];
  }
  return ['name'];
}

/**
 * Spots for a failed run of `doc` in `file`. Linter findings (code INVALID with findings) are left out: the
 * language server already shows them. Empty when the error names nothing in the document.
 */
export function failureSpots(file: ParsedFile, doc: ManifestDocument, err: Pick<PodError, 'code' | 'message' | 'details'>): FailureSpot[] {
  const pod = podObject(doc);
  if (!pod || (err.code === 'INVALID' && err.details?.findings?.length)) return [];
  const at = (path: Path): Range => rangeOf(file, doc, [...(doc.podPath ?? []), ...path], 'value');
  const lastLines = err.details?.failure?.lastLines ?? [];
  const tail = lastLines.length ? `\nlast output:\n${lastLines.slice(-5).join('\n')}` : '';

  if (err.code === 'LIMIT') {
    const paths = limitPaths(err.message);
    if (paths.length) return paths.map((p) => ({ range: at(p), message: err.message }));
  }
  const container = err.details?.container ?? err.details?.failure?.container ?? /container "([^"]+)"/.exec(err.message)?.[1];
  if (container) {
    const found = findContainer(pod, container);
    if (found) {
      const field = containerField(err, found.spec);
      return [{ range: at([...found.path, ...field]), message: err.message + tail }];
    }
  }
  const volume = /volume "([^"]+)"/.exec(err.message)?.[1];
  const volumes = isObj(pod.spec) && Array.isArray(pod.spec.volumes) ? pod.spec.volumes : [];
  const vi = volume ? volumes.findIndex((v) => isObj(v) && v.name === volume) : -1;
  if (vi >= 0) return [{ range: at(['spec', 'volumes', vi, 'name']), message: err.message }];
  return [];
}
