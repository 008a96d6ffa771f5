// A PodStatus as the Pod object `kubectl get -o json` prints (apiVersion, kind, metadata, spec, status), so
// scripts written for kubectl read Podsmith's output unchanged. What Kubernetes has no field for (the OCI
// runtime, the pod's warnings) goes into annotations.
import type { PodStatus } from '../../pods/types';

export const OCI_RUNTIME_ANNOTATION = 'podsmith.io/oci-runtime';
/** The pod's warnings (limits a rootless engine cannot enforce, ...), one per line. */
export const WARNINGS_ANNOTATION = 'podsmith.io/warnings';

export function kubePod(p: PodStatus): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: p.name,
      namespace: p.namespace,
      uid: p.uid,
      ...(p.startTime ? { creationTimestamp: p.startTime } : {}),
      ...(p.deletionTimestamp ? { deletionTimestamp: p.deletionTimestamp, deletionGracePeriodSeconds: p.deletionGracePeriodSeconds ?? 0 } : {}),
      ...(p.ociRuntime || p.warnings?.length
        ? { annotations: { ...(p.ociRuntime ? { [OCI_RUNTIME_ANNOTATION]: p.ociRuntime } : {}), ...(p.warnings?.length ? { [WARNINGS_ANNOTATION]: p.warnings.join('\n') } : {}) } }
        : {}),
    },
    spec: {
      runtimeClassName: p.runtimeClassName,
      hostname: p.hostname,
    },
    status: {
      phase: p.phase,
      ...(p.reason ? { reason: p.reason } : {}),
      ...(p.message ? { message: p.message } : {}),
      conditions: p.conditions,
      ...(p.podIP ? { podIP: p.podIP, podIPs: (p.podIPs ?? [p.podIP]).map((ip) => ({ ip })) } : {}),
      ...(p.startTime ? { startTime: p.startTime } : {}),
      ...(p.initContainerStatuses.length ? { initContainerStatuses: p.initContainerStatuses } : {}),
      containerStatuses: p.containerStatuses,
    },
  };
}

/** What `kubectl get pods -o json` prints for several pods. */
export function kubeList(pods: PodStatus[]): Record<string, unknown> {
  return { apiVersion: 'v1', items: pods.map(kubePod), kind: 'List', metadata: { resourceVersion: '' } };
}
