// Admission of a pod-wasm pod: native's admission (the editor's validator, the engine's limits, the
// ConfigMaps and Secrets of the file and folder) for the class pod-wasm. Findings of the linter's pod-wasm
// rules (exec and network probes or hooks, host namespaces, host ports, privileges, block devices) are
// things WASI preview 1 cannot do: when they are the only errors the pod fails with NOT_SUPPORTED, naming the
// field; any other error stays INVALID. Two volumeMounts at one path in a container are refused here (the
// API server refuses them too): each becomes a WASI preopen, and a second one at the same guest path would
// hide the first and shift which descriptor is which.
import { admitPod, type AdmittedPod } from '../native/admit';
import type { PodObject } from '../native/pod-spec';
import { PodError, type RunPodRequest } from '../types';
import { RUNTIME_CLASS } from './status';

export const FUEL_ANNOTATION = 'podsmith.io/wasm-fuel';
export const DEFAULT_FUEL = 1e9;

export function admitWasmPod(req: RunPodRequest): AdmittedPod {
  let admitted: AdmittedPod;
  try {
    admitted = admitPod(req, RUNTIME_CLASS);
  } catch (err) {
    const findings = err instanceof PodError ? err.details?.findings : undefined;
    // The rules of engine/manifest/rules/wasm.ts: what the sandbox cannot do, not a mistake in the manifest.
    if (err instanceof PodError && err.code === 'INVALID' && findings?.length && findings.every((f) => f.rule.startsWith('wasm-')))
      throw new PodError(err.message, 'NOT_SUPPORTED', err.details);
    throw err;
  }
  fuelOf(admitted.pod);
  refuseDuplicateMounts(admitted.pod, req.fileName);
  return admitted;
}

/** A mount path as a preopen's guest path: `/data/`, `//data` and `/./data` are all `/data`. */
function guestPath(mountPath: string): string {
  return '/' + mountPath.split('/').filter((p) => p !== '' && p !== '.').join('/');
}

function refuseDuplicateMounts(pod: PodObject, fileName: string | undefined): void {
  for (const [list, field] of [
    [pod.spec.initContainers ?? [], 'initContainers'],
    [pod.spec.containers, 'containers'],
  ] as const) {
    list.forEach((c, ci) => {
      const seen = new Map<string, string>();
      (c.volumeMounts ?? []).forEach((m, mi) => {
        const path = guestPath(m.mountPath);
        const first = seen.get(path);
        if (first !== undefined)
          throw new PodError(
            `${fileName ?? 'manifest'}: container "${c.name}": volumeMounts "${first}" and "${m.name}" both mount at ${path} (spec.${field}[${ci}].volumeMounts[${mi}].mountPath); each mount path must be unique`,
            'INVALID',
            { container: c.name },
          );
        seen.set(path, m.name);
      });
    });
  }
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
