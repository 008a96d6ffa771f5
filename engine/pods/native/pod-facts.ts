// The pod facts fieldRefs and the bundle builder read, from the admitted pod and the host.
import { hostname as osHostname, networkInterfaces } from 'node:os';
import { podHostname, type PodFacts } from '../../image/bundle';
import type { PodObject } from './pod-spec';

function hostIPv4(): string | undefined {
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return undefined;
}

export function podFacts(pod: PodObject, uid: string): PodFacts {
  const spec = pod.spec;
  const hostIP = hostIPv4();
  return {
    name: pod.metadata.name,
    namespace: pod.metadata.namespace ?? 'default',
    uid,
    labels: pod.metadata.labels ?? {},
    annotations: pod.metadata.annotations ?? {},
    ...(spec.hostname ? { hostname: spec.hostname } : {}),
    // A hostNetwork pod has the host's address; any other pod's is known once pasta attached (run-pod.ts).
    ...(spec.hostNetwork && hostIP ? { podIP: hostIP, podIPs: [hostIP] } : {}),
    ...(hostIP ? { hostIP, hostIPs: [hostIP] } : {}),
    nodeName: spec.nodeName ?? osHostname(),
    serviceAccountName: spec.serviceAccountName ?? 'default',
    securityContext: spec.securityContext,
    shareProcessNamespace: spec.shareProcessNamespace === true,
    hostNetwork: spec.hostNetwork === true,
    hostIPC: spec.hostIPC === true,
    hostPID: spec.hostPID === true,
  };
}

export function hostnameOf(pod: PodObject, uid: string): string {
  return podHostname(podFacts(pod, uid));
}

const POD_IP_FIELDS = new Set(['status.podIP', 'status.podIPs']);

/** Whether a downwardAPI file (plain or projected) reads the pod's address. */
export function volumesNeedPodIP(pod: PodObject): boolean {
  return (pod.spec.volumes ?? []).some((v) =>
    [...(v.downwardAPI?.items ?? []), ...(v.projected?.sources ?? []).flatMap((s) => s.downwardAPI?.items ?? [])].some((i) => POD_IP_FIELDS.has(i.fieldRef?.fieldPath ?? '')),
  );
}
