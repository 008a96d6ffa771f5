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
    // Pods get no address of their own (only loopback), so status.podIP is the host's for hostNetwork pods only.
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
