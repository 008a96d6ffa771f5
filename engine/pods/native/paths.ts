// Where a pod lives on disk, under `$PODSMITH_HOME/pods/<uid>/`:
//   pod.json              the admitted spec and every container's state (state.ts)
//   exits/                conmon exit files, one per container instance (named by OCI id)
//   s/                    conmon attach socket links
//   etc/                  hosts, hostname, resolv.conf bind-mounted into every container
//   volumes/<name>/       emptyDir, configMap, secret, downwardAPI contents
//   subpaths/<c>/<i>      bind mount of container c's subPath mount number i, made at each of its starts
//   pause/                the pause container's bundle
//   c/<name>/config.json  the container's config template (restarts reuse it with a new cgroup)
//   c/<name>/fs/          the container's rootfs (overlay or copy, engine/image/unpack)
//   c/<name>/b<n>/        bundle of instance n (conmon's fifos, pid files, persist dir)
//   logs/<name>/<n>.log   CRI log of instance n (engine/logs)
import { join } from 'node:path';

export class PodPaths {
  readonly dir: string;
  constructor(
    readonly home: string,
    readonly uid: string,
  ) {
    this.dir = join(home, 'pods', uid);
  }
  get podFile(): string {
    return join(this.dir, 'pod.json');
  }
  get exits(): string {
    return join(this.dir, 'exits');
  }
  get sockets(): string {
    return join(this.dir, 's');
  }
  get etc(): string {
    return join(this.dir, 'etc');
  }
  get volumes(): string {
    return join(this.dir, 'volumes');
  }
  volume(name: string): string {
    return join(this.dir, 'volumes', name);
  }
  /** A container's private subPath mounts (subpath-mounts.ts); runc bind-mounts these, never the volume path. */
  subPaths(container: string): string {
    return join(this.dir, 'subpaths', container);
  }
  subPath(container: string, mountIndex: number): string {
    return join(this.dir, 'subpaths', container, String(mountIndex));
  }
  get pause(): string {
    return join(this.dir, 'pause');
  }
  container(name: string): string {
    return join(this.dir, 'c', name);
  }
  template(name: string): string {
    return join(this.dir, 'c', name, 'config.json');
  }
  rootfsDir(name: string): string {
    return join(this.dir, 'c', name, 'fs');
  }
  bundle(name: string, restartCount: number): string {
    return join(this.dir, 'c', name, `b${restartCount}`);
  }
  logDir(name: string): string {
    return join(this.dir, 'logs', name);
  }
}

/** Folders under PODSMITH_HOME holding the pods of each runtime (pod-containers, pod-wasm, pod-microvm-containers); names are unique across them. */
export const POD_ROOT_DIRS = ['pods', 'wasm-pods', 'microvm-pods'] as const;

export function podsDir(home: string): string {
  return join(home, 'pods');
}


/** OCI container ids carry the pod uid's first 12 hex digits so `runc list` output groups by pod. */
export function uidPrefix(uid: string): string {
  return uid.replace(/-/g, '').slice(0, 12);
}

export function containerId(uid: string, name: string, restartCount: number): string {
  return `${uidPrefix(uid)}-${name}-${restartCount}`;
}

export function pauseId(uid: string): string {
  return `${uidPrefix(uid)}-pause`;
}
