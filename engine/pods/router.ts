// One PodRuntime over several: run_pod goes to the runtime serving the pod's runtimeClassName, every other
// operation to the runtime that holds the pod (pod names are unique across runtimes: they share the
// `pod-names` links). The daemon serves this, so clients never need to know which runtime runs a pod. The
// engine-wide caps on pods and containers (capacity.ts) are enforced here, across every runtime.
import { resolveRuntimeClass } from '../limits';
import { fastDocuments, languageOf, lintText, valueAt, WORKLOADS } from '../manifest';
import { DEFAULT_CAPACITY, PodCapacity, type CapacityLimits } from './capacity';
import type { ExecRequest, LogsRequest, PodRuntime } from './runtime';
import { PodError, type PodEvent, type RunPodRequest } from './types';

export interface RoutedRuntime {
  /** Runtime classes it serves (aliases resolved by the limits table). */
  classes: string[];
  runtime: PodRuntime;
}

type PodLike = {
  kind?: unknown;
  metadata?: { name?: unknown; namespace?: unknown };
  spec?: { runtimeClassName?: unknown; containers?: unknown; initContainers?: unknown };
};

/** The pod a document runs, as far as the router needs it: a Pod as written, a workload's template named after it. */
function podLike(doc: PodLike): PodLike | undefined {
  const kind = typeof doc.kind === 'string' ? doc.kind : '';
  if (kind === 'Pod') return doc;
  const path = WORKLOADS[kind]?.template;
  const template = path ? valueAt(doc, path) : undefined;
  if (typeof template !== 'object' || template === null) return undefined;
  return { kind: 'Pod', metadata: { name: doc.metadata?.name, namespace: doc.metadata?.namespace }, spec: (template as PodLike).spec };
}

/**
 * The pod a run request asks for, as far as the router needs it: its runtime class (undefined when the
 * manifest does not say clearly: admission will), its name and how many containers it has. The chosen
 * runtime lints the manifest anyway: values are enough here, so the cheap js-yaml pass is used, and the
 * linter only for files it leaves to the full parse. Pods and workloads count, as in admission.
 */
export function requestedPod(req: RunPodRequest): { runtimeClass?: string; namespace?: string; name?: string; containers: number } {
  const fileName = req.fileName ?? 'manifest';
  const values =
    fastDocuments(req.manifest, languageOf({ fileName }))?.map((d) => d.value) ?? lintText(req.manifest, { fileName }).documents.map((d) => d.value);
  const pods = values.flatMap((v) => {
    const pod = typeof v === 'object' && v !== null ? podLike(v as PodLike) : undefined;
    return pod ? [pod] : [];
  });
  const chosen = req.podName ? pods.find((p) => p.metadata?.name === req.podName) : pods[0];
  const count = (list: unknown) => (Array.isArray(list) ? list.length : 0);
  const name = chosen?.metadata?.name;
  const namespace = chosen?.metadata?.namespace ?? 'default';
  const runtimeClass = resolveRuntimeClass(chosen?.spec?.runtimeClassName);
  return {
    ...(runtimeClass ? { runtimeClass } : {}),
    ...(typeof name === 'string' && typeof namespace === 'string' ? { name, namespace } : {}),
    containers: count(chosen?.spec?.containers) + count(chosen?.spec?.initContainers),
  };
}

export interface RouterOptions {
  /** The engine-wide caps (default LIMITS.podsPerEngine and containersPerEngine); tests lower them. */
  capacity?: Partial<CapacityLimits>;
}

export function routePods(routes: RoutedRuntime[], options: RouterOptions = {}): PodRuntime {
  if (routes.length === 0) throw new Error('routePods needs at least one runtime');
  const [fallback] = routes;
  const capacity = new PodCapacity({ ...DEFAULT_CAPACITY, ...options.capacity }, async () => (await Promise.all(routes.map((r) => r.runtime.listPods()))).flat());
  // Pods that go without a delete through here (a reconcile finishing one) free their slots too.
  for (const r of routes)
    r.runtime.watch((e) => {
      if (e.type === 'pod' && (e.reason === 'Deleted' || e.reason === 'CreationInterrupted')) capacity.forgetUid(e.uid);
    });

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
    async runPod(req, onEvent) {
      const wanted = requestedPod(req);
      const cls = wanted.runtimeClass;
      // Unknown or invalid: the first runtime's admission gives the editor's findings.
      const route = cls ? routes.find((r) => r.classes.includes(cls)) : fallback;
      if (!route) {
        const served = routes.flatMap((r) => r.classes).join(', ');
        throw new PodError(`runtime class ${cls} is not available here (this engine serves ${served}); 'podsmith doctor' shows what is missing`, 'NOT_SUPPORTED');
      }
      // Before the runtime allocates anything: a full engine refuses here.
      const slot = await capacity.reserve(wanted.namespace, wanted.name, wanted.containers);
      try {
        const status = await route.runtime.runPod(req, onEvent);
        slot.commit(status);
        return status;
      } catch (err) {
        slot.release();
        throw err;
      }
    },
    stopPod: (req) => onHolder(req.pod, (r) => r.stopPod(req)),
    async deletePod(req) {
      await onHolder(req.pod, (r) => r.deletePod(req));
      capacity.forget(req.pod);
    },
    podStatus: (pod) => onHolder(pod, (r) => r.podStatus(pod)),
    async listPods() {
      const lists = await Promise.all(routes.map((r) => r.runtime.listPods()));
      return lists.flat().sort((a, b) => (a.startTime ?? '').localeCompare(b.startTime ?? '') || a.name.localeCompare(b.name));
    },
    podNetns: (pod) =>
      onHolder(pod, (r) => {
        if (r.podNetns) return r.podNetns(pod);
        // The answer port-forward goes by: a runtime that dials for it says so (details.dial).
        return r.podStatus(pod).then((s) =>
          Promise.reject(
            r.dial
              ? new PodError(`pod ${s.name} (${s.runtimeClassName}) has no network namespace on this host; its ports are reached through its runtime`, 'NOT_SUPPORTED', { dial: true })
              : new PodError(`pod ${s.name} (${s.runtimeClassName}) has no network namespace to forward ports into`, 'NOT_SUPPORTED'),
          ),
        );
      }),
    dial: (pod, port) =>
      onHolder(pod, (r) => {
        if (r.dial) return r.dial(pod, port);
        return r.podStatus(pod).then((s) => Promise.reject(new PodError(`pod ${s.name} (${s.runtimeClassName}): its runtime does not dial ports (port-forward enters its network namespace)`, 'NOT_SUPPORTED')));
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
