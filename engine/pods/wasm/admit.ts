// Admission of a pod-wasm pod: the same validator as the editor (lintText) and the engine's limits, as for
// native pods (engine/pods/native/admit.ts; its ConfigMap/Secret collection is repeated here because that
// admitPod refuses every class but pod-containers). Findings of the linter's pod-wasm rules (exec and
// network probes or hooks, host namespaces, host ports, privileges, block devices) are things WASI preview 1
// cannot do: they fail with NOT_SUPPORTED, naming the field; any other error is INVALID.
import { checkLimits, resolveRuntimeClass } from '../../limits';
import { classify, lintText, parseText, type Finding, type ManifestDocument } from '../../manifest';
import type { AdmittedPod, ConfigData } from '../native/admit';
import type { PodObject } from '../native/pod-spec';
import { PodError, type RunPodRequest } from '../types';
import { RUNTIME_CLASS } from './status';

export const FUEL_ANNOTATION = 'podsmith.dev/wasm-fuel';
export const DEFAULT_FUEL = 1e9;

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
  for (const [k, x] of Object.entries(stringMap(value.stringData))) bytes[k] = Buffer.from(x, 'utf8');
  const text: Record<string, string> = {};
  for (const [k, b] of Object.entries(bytes)) text[k] = b.toString('utf8');
  return { text, bytes };
}

function namespaceOf(value: unknown): string {
  const meta = isObject(value) ? value.metadata : undefined;
  return isObject(meta) && typeof meta.namespace === 'string' && meta.namespace ? meta.namespace : 'default';
}

/** The linter's rules for what runtime class pod-wasm cannot do (engine/manifest/rules/wasm.ts). */
function isWasmRule(rule: string): boolean {
  return rule.startsWith('wasm-');
}

export function admitWasmPod(req: RunPodRequest): AdmittedPod {
  const fileName = req.fileName ?? 'manifest';
  const result = lintText(req.manifest, { fileName });
  const errors = result.findings.filter((f) => f.severity === 'error');
  if (errors.length > 0) {
    // What the sandbox cannot do is reported first: it is the answer to "why does this not run here".
    const unsupported = errors.filter((f) => isWasmRule(f.rule));
    const first = unsupported[0] ?? errors[0];
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more error${errors.length > 2 ? 's' : ''})` : '';
    throw new PodError(`${where(fileName, first)}: ${first.message} [${first.rule}]${more}`, unsupported.length === errors.length ? 'NOT_SUPPORTED' : 'INVALID', { findings: errors });
  }

  const documents = result.documents;
  const pods = documents.filter((d) => d.role === 'pod');
  const chosen = req.podName ? pods.find((d) => d.name === req.podName) : pods[0];
  if (!chosen) {
    const workload = documents.find((d) => d.role === 'workload');
    const why = req.podName
      ? `no Pod named "${req.podName}" in ${fileName}`
      : workload
        ? `${fileName} holds a ${workload.kind} (${workload.name ?? 'unnamed'}), not a Pod: run its pod template as a Pod`
        : `no Pod in ${fileName}`;
    throw new PodError(why, 'INVALID');
  }
  const pod = structuredClone(chosen.value) as PodObject;
  const namespace = pod.metadata.namespace || 'default';
  pod.metadata.namespace = namespace;

  if (resolveRuntimeClass(pod.spec.runtimeClassName) !== RUNTIME_CLASS)
    throw new PodError(`pod ${pod.metadata.name} asks for runtime class ${pod.spec.runtimeClassName ?? 'pod-containers (the default)'}, which this runtime (${RUNTIME_CLASS}) does not serve`, 'INVALID');

  const limits = checkLimits(pod);
  if (limits.length > 0)
    throw new PodError(`pod ${pod.metadata.name} exceeds the engine's limits: ${limits.map((r) => `${r.path.join('.')}: ${r.message}`).join('; ')}`, 'LIMIT');
  fuelOf(pod);

  const configMaps: Record<string, ConfigData> = {};
  const secrets: Record<string, ConfigData> = {};
  const collect = (docs: ManifestDocument[]) => {
    for (const d of docs) {
      if ((d.role !== 'configmap' && d.role !== 'secret') || !d.name || !isObject(d.value)) continue;
      if (namespaceOf(d.value) !== namespace) continue;
      const target = d.role === 'configmap' ? configMaps : secrets;
      if (target[d.name]) continue;
      target[d.name] = d.role === 'configmap' ? configMapData(d.value) : secretData(d.value);
    }
  };
  collect(documents);
  for (const extra of req.extraManifests ?? []) collect(parseText(extra.text).documents.map(classify));

  return { pod, namespace, configMaps, secrets, warnings: result.findings.filter((f) => f.severity !== 'error') };
}

/** The instruction budget of each container instance: the pod's annotation, else the runtime's default. */
export function fuelOf(pod: PodObject, fallback = DEFAULT_FUEL): number {
  const raw = pod.metadata.annotations?.[FUEL_ANNOTATION];
  if (raw === undefined) return fallback;
  const n = Number(raw.trim());
  if (!raw.trim() || !Number.isSafeInteger(n) || n <= 0)
    throw new PodError(`annotation ${FUEL_ANNOTATION} must be a positive whole number of instructions (up to ${Number.MAX_SAFE_INTEGER}), not "${raw}"`, 'INVALID');
  return n;
}
