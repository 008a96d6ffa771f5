// Where things are inside the guest. The host writes OCI configs whose paths point here (it rewrites every
// path under the pod's shares to these mount points, and refuses any other host path).
export const GUEST_POD_SHARE = '/run/pod';
export const GUEST_OUT_SHARE = '/run/out';
/** Per container instance: overlay upper/work dirs (guest memory: writable layers live inside the VM) and the bundle. */
export const GUEST_INSTANCES = '/run/c';
/** emptyDir volumes with medium Memory: a tmpfs each. */
export const GUEST_MEMORY_VOLUMES = '/run/mem';
/** subPath mounts into memory-backed emptyDirs: the agent bind-mounts each here at every container start. */
export const GUEST_SUBPATHS = '/run/sub';
export const GUEST_RUNC_ROOT = '/run/runc';
/** The cgroup every container's cgroup lives under (cgroup v2 in the guest). */
export const GUEST_POD_CGROUP = 'pod';

export const STATUS_FILE = 'status.json';
export const LOGS_DIR = 'logs';
export const VOLUMES_DIR = 'volumes';

export function guestMemoryVolume(name: string): string {
  return `${GUEST_MEMORY_VOLUMES}/${name}`;
}

/** Where the agent mounts volumeMount `index` of `container` (a subPath into a memory-backed emptyDir). */
export function guestSubPath(container: string, index: number): string {
  return `${GUEST_SUBPATHS}/${container}/${index}`;
}
