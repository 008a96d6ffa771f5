// Linux namespaces of a pod container. Each container gets its own mount namespace and, unless the pod shares
// it, its own pid namespace. network, ipc and uts are the pod's: the pause container creates them and every
// other container joins them by path (/proc/<pause pid>/ns/<type>). A host* pod setting leaves the type out,
// so the container stays in the engine's namespace.

import type { OciNamespace } from './oci-spec';
import { BundleError, type NamespacePaths, type PodFacts } from './types';

function join(type: OciNamespace['type'], path: string | undefined): OciNamespace {
  if (path === undefined) return { type };
  if (!path.startsWith('/') || path.includes('\0'))
    throw new BundleError(`${type} namespace path "${path}" must be absolute`, 'BAD_NAMESPACE');
  return { type, path };
}

export function buildNamespaces(pod: PodFacts, paths: NamespacePaths = {}, setHostname = false): OciNamespace[] {
  const out: OciNamespace[] = [];
  if (!pod.hostPID) {
    // Without a shared process namespace a pid path is ignored: each container is pid 1 of its own.
    out.push(join('pid', pod.shareProcessNamespace ? paths.pid : undefined));
  }
  if (!pod.hostNetwork) out.push(join('network', paths.network));
  if (!pod.hostIPC) out.push(join('ipc', paths.ipc));
  if (!pod.hostNetwork) {
    // hostNetwork pods also keep the host's UTS namespace, as the kubelet does.
    if (setHostname && paths.uts !== undefined)
      throw new BundleError('only the container that creates the uts namespace may set the hostname', 'BAD_NAMESPACE');
    out.push(join('uts', paths.uts));
  } else if (setHostname) {
    throw new BundleError('a hostNetwork pod shares the host uts namespace and cannot set a hostname', 'BAD_NAMESPACE');
  }
  out.push({ type: 'mount' });
  return out;
}
