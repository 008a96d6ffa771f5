// Decides what each document is: a Pod, a workload whose pod template is checked as a pod, a ConfigMap or
// Secret (kept for volumes and env of later stages), another Kubernetes object, or unrelated YAML.
import type { ParsedDocument } from './parse';
import type { Path } from './types';

export type DocumentRole = 'pod' | 'workload' | 'configmap' | 'secret' | 'other-kube' | 'unrelated';

export interface ManifestDocument extends ParsedDocument {
  role: DocumentRole;
  apiVersion?: string;
  kind?: string;
  /** metadata.name, when it is a string. */
  name?: string;
  /**
   * Where the pod object (`metadata` + `spec`) lives in the document: [] for a Pod, the template path for a
   * workload. Undefined for documents that hold no pod.
   */
  podPath?: Path;
}

/** Workload kinds whose pod template Podsmith checks, with the API group that serves them. */
export const WORKLOADS: Record<string, { apiVersion: string; template: Path }> = {
  Deployment: { apiVersion: 'apps/v1', template: ['spec', 'template'] },
  StatefulSet: { apiVersion: 'apps/v1', template: ['spec', 'template'] },
  DaemonSet: { apiVersion: 'apps/v1', template: ['spec', 'template'] },
  ReplicaSet: { apiVersion: 'apps/v1', template: ['spec', 'template'] },
  Job: { apiVersion: 'batch/v1', template: ['spec', 'template'] },
  CronJob: { apiVersion: 'batch/v1', template: ['spec', 'jobTemplate', 'spec', 'template'] },
};

/** The apiVersion each checked kind must have. */
export const EXPECTED_API_VERSION: Record<string, string> = {
  Pod: 'v1',
  ConfigMap: 'v1',
  Secret: 'v1',
  ...Object.fromEntries(Object.entries(WORKLOADS).map(([k, w]) => [k, w.apiVersion])),
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function classify(doc: ParsedDocument): ManifestDocument {
  return { ...doc, ...classifyValue(doc.value) };
}

/** What a document's plain value is (classify without the syntax tree: callers that have only values). */
export function classifyValue(v: unknown): Omit<ManifestDocument, keyof ParsedDocument> {
  if (!isObject(v) || !('apiVersion' in v || 'kind' in v)) return { role: 'unrelated' };
  const apiVersion = typeof v.apiVersion === 'string' ? v.apiVersion : undefined;
  const kind = typeof v.kind === 'string' ? v.kind : undefined;
  const meta = isObject(v.metadata) ? v.metadata : undefined;
  const name = meta && typeof meta.name === 'string' ? meta.name : undefined;
  const base = { apiVersion, kind, name };
  if (kind === 'Pod') return { ...base, role: 'pod', podPath: [] };
  if (kind === 'ConfigMap') return { ...base, role: 'configmap' };
  if (kind === 'Secret') return { ...base, role: 'secret' };
  if (kind && kind in WORKLOADS) return { ...base, role: 'workload', podPath: WORKLOADS[kind].template };
  return { ...base, role: 'other-kube' };
}

/** A document that declares apiVersion or kind marks the whole file as a manifest worth reporting on. */
export function isManifestText(text: string, language: 'yaml' | 'json' = 'yaml'): boolean {
  // JSON is often written on one line, so its keys are looked for anywhere.
  if (language === 'json') return /"(apiVersion|kind)"\s*:/.test(text);
  return /^\s*"?(apiVersion|kind)"?\s*:/m.test(text);
}
