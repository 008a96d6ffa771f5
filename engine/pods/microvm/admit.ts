// Admission of a microVM pod: native's admission (the editor's validator, the engine's limits, the ConfigMaps
// and Secrets of the file and folder) for the class pod-microvm-containers (alias pod-microvm). The linter's
// microVM rules (host namespaces, hostPath) are what a VM cannot give: when they are the only errors, the pod
// fails with NOT_SUPPORTED naming the field. What this runtime does not do yet is refused here too.
import { admitPod, type AdmittedPod } from '../native/admit';
import { PodError, type RunPodRequest } from '../types';
import { MICROVM_RUNTIME_CLASS } from './paths';

export function admitVmPod(req: RunPodRequest): AdmittedPod {
  let admitted: AdmittedPod;
  try {
    admitted = admitPod(req, MICROVM_RUNTIME_CLASS);
  } catch (err) {
    const findings = err instanceof PodError ? err.details?.findings : undefined;
    if (err instanceof PodError && err.code === 'INVALID' && findings?.length && findings.every((f) => f.rule.startsWith('microvm-')))
      throw new PodError(err.message, 'NOT_SUPPORTED', err.details);
    throw err;
  }
  const spec = admitted.pod.spec;
  const name = admitted.pod.metadata.name;
  if (spec.hostNetwork || spec.hostPID || spec.hostIPC) throw new PodError(`pod ${name}: host namespaces do not exist inside a microVM (hostNetwork, hostPID, hostIPC)`, 'NOT_SUPPORTED');
  for (const v of spec.volumes ?? []) {
    if (v.hostPath) throw new PodError(`pod ${name}: volume "${v.name}" is a hostPath; a microVM never sees host paths (use emptyDir, configMap, secret or downwardAPI)`, 'NOT_SUPPORTED');
  }
  if (req.ociRuntime && req.ociRuntime !== 'runc') throw new PodError(`pod ${name}: a microVM runs its containers with runc inside the guest; --oci-runtime ${req.ociRuntime} does not apply`, 'INVALID');
  return admitted;
}
