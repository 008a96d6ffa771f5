// One PodRuntime over several: run_pod goes to the runtime serving the pod's runtimeClassName, every other
// operation to the runtime that holds the pod (pod names are unique across runtimes: they share the
// `pod-names` links). The daemon serves this, so clients never need to know which runtime runs a pod.
import { resolveRuntimeClass } from '../limits';
import { fastDocuments, languageOf, lintText } from '../manifest';
import type { ExecRequest, LogsRequest, PodRuntime } from './runtime';
import { PodError, type PodEvent, type RunPodRequest } from './types';

export interface RoutedRuntime {
  /** Runtime classes it serves (aliases resolved by the limits table). */
  classes: string[];
  runtime: PodRuntime;
}

type PodLike = { kind?: unknown; metadata?: { name?: unknown }; spec?: { runtimeClassName?: unknown } };

/**
 * The runtime class a run request asks for; undefined when the manifest does not say clearly (admission
 * will). The chosen runtime lints the manifest anyway: values are enough here, so the cheap js-yaml pass is
 * used, and the linter only for files it leaves to the full parse.
 */
export function requestedRuntimeClass(req: RunPodRequest): string | undefined {
  const fileName = req.fileName ?? 'manifest';
  const values =
    fastDocuments(req.manifest, languageOf({ fileName }))?.map((d) => d.value) ?? lintText(req.manifest, { fileName }).documents.map((d) => d.value);
  const pods = values.filter((v): v is PodLike => typeof v === 'object' && v !== null && (v as PodLike).kind === 'Pod');
  const chosen = req.podName ? pods.find((p) => p.metadata?.name === req.podName) : pods[0];
  return resolveRuntimeClass(chosen?.spec?.runtimeClassName);
}

export function routePods(routes: RoutedRuntime[]): PodRuntime {
  if (routes.length === 0) throw new Error('routePods needs at least one runtime');
  const [fallback] = routes;

  /** Runs `op` on each runtime until one knows the pod. */
  async function onHolder<T>(pod: string, op: (r: PodRuntime) => Promise<T>): Promise<T> {
    let notFound: unknown;
    for (const { runtime } of routes) {
      try {
        return await op(runtime);
      } catch (err) {
        if (err instanceof PodError && err.code === 'NOT_FOUND' && !err.details?.container) {
          notFound = err;
          continue;
        }
        throw err;
      }
    }
    throw notFound ?? new PodError(`pod ${pod} not found`, 'NOT_FOUND');
  }

  return {
    runPod(req, onEvent) {
      const cls = requestedRuntimeClass(req);
      // Unknown or invalid: the first runtime's admission gives the editor's findings.
      const route = cls ? routes.find((r) => r.classes.includes(cls)) : fallback;
      if (!route) {
        const served = routes.flatMap((r) => r.classes).join(', ');
        return Promise.reject(new PodError(`runtime class ${cls} is not available here (this engine serves ${served}); 'podsmith doctor' shows what is missing`, 'NOT_SUPPORTED'));
      }
      return route.runtime.runPod(req, onEvent);
    },
    stopPod: (req) => onHolder(req.pod, (r) => r.stopPod(req)),
    deletePod: (req) => onHolder(req.pod, (r) => r.deletePod(req)),
    podStatus: (pod) => onHolder(pod, (r) => r.podStatus(pod)),
    async listPods() {
      const lists = await Promise.all(routes.map((r) => r.runtime.listPods()));
      return lists.flat().sort((a, b) => (a.startTime ?? '').localeCompare(b.startTime ?? '') || a.name.localeCompare(b.name));
    },
    podNetns: (pod) =>
      onHolder(pod, (r) => {
        if (!r.podNetns) return r.podStatus(pod).then((s) => Promise.reject(new PodError(`pod ${s.name} (${s.runtimeClassName}) has no network namespace to forward ports into`, 'NOT_SUPPORTED')));
        return r.podNetns(pod);
      }),
    exec: (req: ExecRequest) => onHolder(req.pod, (r) => r.exec(req)),
    logs: (req: LogsRequest, signal?: AbortSignal) => onHolder(req.pod, (r) => r.logs(req, signal)),
    async reconcile() {
      for (const { runtime } of routes) await runtime.reconcile();
    },
    watch(listener: (e: PodEvent) => void) {
      const offs = routes.map((r) => r.runtime.watch(listener));
      return () => offs.forEach((off) => off());
    },
  };
}
