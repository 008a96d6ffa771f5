// What a container's config.json must change when the engine runs rootless (in a user's namespace):
//   - without a delegated cgroup, no cgroupsPath and no limits: runc skips a cgroup it may not create only
//     when neither is asked for (which limits go unenforced is reported by limits.ts);
//   - sysfs can be mounted only by the owner of the network namespace: a container in the host's network
//     (hostNetwork) gets the host's /sys bound read-only instead, as rootless podman does;
//   - in a single-id namespace there is no group 5 (tty) to own /dev/pts.
import type { OciMount, RuntimeSpec } from '../image/bundle/oci-spec';
import { cgroupAccess, type CgroupAccess } from './cgroup-access';
import { identity, outsideId, type Identity } from './identity';
import { SINGLE_ID_LIMITS } from './mapping';

export class UnmappedIdError extends Error {
  readonly code = 'UNMAPPED_ID';
}

/** Refuses a process user or group that does not exist in the namespace, saying why and what would fix it. */
export function checkIdsMapped(user: { uid: number; gid: number; additionalGids?: number[] }, id: Identity = identity()): void {
  const ids: [string, number, boolean][] = [
    ['uid', user.uid, outsideId(id.uidMap, user.uid) !== undefined],
    ['gid', user.gid, outsideId(id.gidMap, user.gid) !== undefined],
    ...(user.additionalGids ?? []).map((g): [string, number, boolean] => ['supplementary gid', g, outsideId(id.gidMap, g) !== undefined]),
  ];
  const missing = ids.find(([, , ok]) => !ok);
  if (!missing) return;
  const [what, n] = missing;
  if (id.uidCount <= 1)
    throw new UnmappedIdError(`runs as ${what} ${n}, but this rootless engine has no subordinate ids: ${SINGLE_ID_LIMITS} (see podsmith doctor)`);
  throw new UnmappedIdError(
    `runs as ${what} ${n}, outside the ${what.endsWith('uid') ? id.uidCount : id.gidCount} ids of this rootless engine's user namespace (0..${(what.endsWith('uid') ? id.uidCount : id.gidCount) - 1}); a larger range in /etc/subuid and /etc/subgid would hold it`,
  );
}

export function adaptBundleForRootless<T extends RuntimeSpec>(config: T, id: Identity = identity(), access?: CgroupAccess): T {
  if (id.hostRoot) return config;
  if (config.process?.user) checkIdsMapped(config.process.user, id);
  const linux = { ...config.linux };
  if ((access ?? cgroupAccess()).mode === 'none') {
    delete linux.cgroupsPath;
    delete linux.resources;
  }
  const ownNetwork = (linux.namespaces ?? []).some((n) => n.type === 'network');
  const gidMapped = (g: number) => outsideId(id.gidMap, g) !== undefined;
  const mounts = (config.mounts ?? []).map((m): OciMount => {
    if (m.type === 'sysfs' && !ownNetwork) {
      const ro = (m.options ?? []).includes('ro');
      return { destination: m.destination, type: 'bind', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', ...(ro ? ['ro'] : [])] };
    }
    if (m.type === 'devpts') {
      const options = (m.options ?? []).filter((o) => !o.startsWith('gid=') || gidMapped(Number(o.slice(4))));
      return { ...m, options };
    }
    return m;
  });
  return { ...config, linux, mounts };
}
