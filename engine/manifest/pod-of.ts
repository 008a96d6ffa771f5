// The pod a document runs. A Pod runs as written. A workload (Deployment, ReplicaSet, StatefulSet, DaemonSet,
// Job, CronJob) runs its pod template as one Pod named after the workload, as `podman kube play` does with a
// single replica: the template's labels and annotations, the workload's namespace, the template's spec.
// Pure, so the engine's admission, the CLI's planning and the editor all agree on which pod a document means.
// It imports no linter, so the editor's client can use it without bundling the schema.
import type { ManifestDocument } from './documents';
import type { Path } from './types';

/** Documents `run` accepts: Pods and workloads. */
export function isRunnable(doc: Pick<ManifestDocument, 'role'>): boolean {
  return doc.role === 'pod' || doc.role === 'workload';
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function at(value: unknown, path: Path): unknown {
  let v = value;
  for (const seg of path) v = isObject(v) || Array.isArray(v) ? (v as Record<string | number, unknown>)[seg] : undefined;
  return v;
}

export type PodOf = { ok: true; pod: Record<string, unknown> } | { ok: false; message: string };

/** The Pod object `doc` runs; for a workload, its template turned into a Pod. */
export function podOf(doc: ManifestDocument): PodOf {
  if (doc.role === 'pod') return isObject(doc.value) ? { ok: true, pod: doc.value } : { ok: false, message: 'the Pod is not an object' };
  if (doc.role !== 'workload' || !doc.podPath) return { ok: false, message: `a ${doc.kind ?? 'document'} does not run as a pod` };
  const what = `${doc.kind}${doc.name ? ` ${doc.name}` : ''}`;
  if (!doc.name) return { ok: false, message: `the ${doc.kind} has no metadata.name, which names the pod it runs` };
  const template = at(doc.value, doc.podPath);
  if (!isObject(template)) return { ok: false, message: `${what} has no pod template at ${doc.podPath.join('.')}` };
  const tmeta = isObject(template.metadata) ? template.metadata : {};
  const wmeta = isObject((doc.value as Record<string, unknown>).metadata) ? ((doc.value as Record<string, unknown>).metadata as Record<string, unknown>) : {};
  const metadata: Record<string, unknown> = { name: doc.name };
  if (typeof wmeta.namespace === 'string' && wmeta.namespace) metadata.namespace = wmeta.namespace;
  if (isObject(tmeta.labels)) metadata.labels = { ...tmeta.labels };
  if (isObject(tmeta.annotations)) metadata.annotations = { ...tmeta.annotations };
  return { ok: true, pod: { apiVersion: 'v1', kind: 'Pod', metadata, spec: template.spec } };
}
