// Admission: the same validator as the editor (lintText) decides whether a manifest may run, then the
// engine's security limits are checked once more on the chosen pod, and the ConfigMaps and Secrets it may use
// are collected from the same file and the extra files (as `podman kube play` does with a folder).
import { checkLimits, resolveRuntimeClass } from '../../limits';
import { classify, isRunnable, lintText, parseText, podOf, type Finding, type ManifestDocument } from '../../manifest';
import { PodError, type RunPodRequest } from '../types';
import type { PodObject } from './pod-spec';

export interface ConfigData {
  /** Text values (ConfigMap `data`, Secret values that are valid UTF-8) for env. */
  text: Record<string, string>;
  /** Every value as bytes, for volumes (ConfigMap `binaryData`, Secret `data` decoded). */
  bytes: Record<string, Buffer>;
}

export interface AdmittedPod {
  pod: PodObject;
  namespace: string;
  configMaps: Record<string, ConfigData>;
  secrets: Record<string, ConfigData>;
  /** Warnings from the linter (shown, not fatal). */
  warnings: Finding[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function where(fileName: string, f: Finding): string {
  return `${fileName}:${f.range.start.line + 1}:${f.range.start.character + 1}`;
}

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isObject(v)) for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
}

function configMapData(value: Record<string, unknown>): ConfigData {
  const text = stringMap(value.data);
  const bytes: Record<string, Buffer> = {};
  for (const [k, x] of Object.entries(text)) bytes[k] = Buffer.from(x, 'utf8');
  for (const [k, x] of Object.entries(stringMap(value.binaryData))) bytes[k] = Buffer.from(x, 'base64');
  return { text, bytes };
}

function secretData(value: Record<string, unknown>): ConfigData {
  const bytes: Record<string, Buffer> = {};
  for (const [k, x] of Object.entries(stringMap(value.data))) bytes[k] = Buffer.from(x, 'base64');
  // stringData is write-only sugar that wins over data, as the API server merges it.
  for (const [k, x] of Object.entries(stringMap(value.stringData))) bytes[k] = Buffer.from(x, 'utf8');
  const text: Record<string, string> = {};
  for (const [k, b] of Object.entries(bytes)) text[k] = b.toString('utf8');
  return { text, bytes };
}

function namespaceOf(value: unknown): string {
  const meta = isObject(value) ? value.metadata : undefined;
  return isObject(meta) && typeof meta.namespace === 'string' && meta.namespace ? meta.namespace : 'default';
}

/** `serves`: the runtime class of the runtime admitting (a pod asking for another one is refused). */
export function admitPod(req: RunPodRequest, serves = 'pod-containers'): AdmittedPod {
  const fileName = req.fileName ?? 'manifest';
  const result = lintText(req.manifest, { fileName });
  const errors = result.findings.filter((f) => f.severity === 'error');
  if (errors.length > 0) {
    const first = errors[0];
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more error${errors.length > 2 ? 's' : ''})` : '';
    throw new PodError(`${where(fileName, first)}: ${first.message} [${first.rule}]${more}`, 'INVALID', { findings: errors });
  }

  const documents = result.documents;
  // Pods, and workloads whose pod template runs as one pod named after the workload (engine/manifest/pod-of.ts).
  const runnable = documents.filter(isRunnable);
  const chosen = req.podName ? runnable.find((d) => d.name === req.podName) : runnable[0];
  if (!chosen) throw new PodError(req.podName ? `no Pod or workload named "${req.podName}" in ${fileName}` : `no Pod or workload in ${fileName}`, 'INVALID');
  const made = podOf(chosen);
  if (!made.ok) throw new PodError(`${fileName}: ${made.message}`, 'INVALID');
  const pod = structuredClone(made.pod) as unknown as PodObject;
  const namespace = pod.metadata.namespace || 'default';
  pod.metadata.namespace = namespace;

  const runtimeClass = resolveRuntimeClass(pod.spec.runtimeClassName);
  if (runtimeClass !== serves)
    throw new PodError(`pod ${pod.metadata.name} asks for runtime class ${pod.spec.runtimeClassName ?? 'pod-containers'}, which this runtime (${serves}) does not serve`, 'INVALID');

  const limits = checkLimits(pod);
  if (limits.length > 0)
    throw new PodError(`pod ${pod.metadata.name} exceeds the engine's limits: ${limits.map((r) => `${r.path.join('.')}: ${r.message}`).join('; ')}`, 'LIMIT');

  const configMaps: Record<string, ConfigData> = {};
  const secrets: Record<string, ConfigData> = {};
  const collect = (docs: ManifestDocument[]) => {
    for (const d of docs) {
      if ((d.role !== 'configmap' && d.role !== 'secret') || !d.name || !isObject(d.value)) continue;
      if (namespaceOf(d.value) !== namespace) continue;
      // The pod's own file wins over the folder's other files: it is collected first.
      const target = d.role === 'configmap' ? configMaps : secrets;
      if (target[d.name]) continue;
      target[d.name] = d.role === 'configmap' ? configMapData(d.value) : secretData(d.value);
    }
  };
  collect(documents);
  // A JSON file that is not strict JSON lends nothing, as `podsmith lint` would reject it.
  for (const extra of req.extraManifests ?? []) collect(parseText(extra.text, { fileName: extra.fileName }).documents.map(classify));

  return { pod, namespace, configMaps, secrets, warnings: result.findings.filter((f) => f.severity !== 'error') };
}
