// The container's mount table: the standard kernel filesystems a CRI runtime gives every container, then
// the volumes the engine prepared. A volume at the same destination as a standard mount replaces it (pods
// often mount an emptyDir at /dev/shm), and volumes are ordered parents first so a nested mount is not hidden.

import type { OciMount } from './oci-spec';
import { BundleError, type MountInput } from './types';

/** containerd CRI's set (no /run tmpfs: CRI removes it). sysfs and cgroup are read-only unless privileged. */
export function standardMounts(privileged: boolean): OciMount[] {
  const ro = privileged ? 'rw' : 'ro';
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    {
      destination: '/dev',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
    },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    {
      destination: '/dev/shm',
      type: 'tmpfs',
      source: 'shm',
      options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'],
    },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', ro] },
    {
      destination: '/sys/fs/cgroup',
      type: 'cgroup',
      source: 'cgroup',
      options: ['nosuid', 'noexec', 'nodev', 'relatime', ro],
    },
  ];
}

/** `/a//b/` → `/a/b`, refusing relative paths, `..` segments and NUL. */
export function cleanDestination(path: string): string {
  if (!path.startsWith('/') || path.includes('\0'))
    throw new BundleError(`mount destination "${path}" must be an absolute path`, 'BAD_MOUNT');
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new BundleError(`mount destination "${path}" must not contain ".."`, 'BAD_MOUNT');
  return '/' + parts.join('/');
}

function volumeMount(m: MountInput): OciMount {
  const destination = cleanDestination(m.destination);
  if (m.source === '' || m.source.includes('\0'))
    throw new BundleError(`mount at ${destination} has no source`, 'BAD_MOUNT');
  const type = m.type ?? 'bind';
  if (type !== 'bind') return { destination, type, source: m.source, options: [...(m.options ?? [])] };
  // rbind so mounts below the source come along; propagation private unless the pod asked for more.
  const options = ['rbind', m.propagation ?? 'rprivate', m.readOnly ? 'ro' : 'rw', ...(m.options ?? [])];
  return { destination, type: 'bind', source: m.source, options };
}

const depth = (path: string) => (path === '/' ? 0 : path.split('/').length - 1);

export function buildMounts(volumes: readonly MountInput[], privileged: boolean): OciMount[] {
  const prepared = volumes.map(volumeMount);
  const seen = new Set<string>();
  for (const m of prepared) {
    if (seen.has(m.destination)) throw new BundleError(`two mounts at ${m.destination}`, 'BAD_MOUNT');
    seen.add(m.destination);
  }
  // Stable sort: same-depth mounts keep the order they were given in.
  prepared.sort((a, b) => depth(a.destination) - depth(b.destination));
  return [...standardMounts(privileged).filter((m) => !seen.has(m.destination)), ...prepared];
}
