// /etc/hosts, /etc/hostname and /etc/resolv.conf of a pod, written once and bind-mounted into every container
// as the kubelet does, so name lookups of the pod's own hostname and its hostAliases work.
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MountInput } from '../../image/bundle';
import type { PodPaths } from './paths';
import type { PodContainer, PodSpec } from './pod-spec';

const FILES = ['hosts', 'hostname', 'resolv.conf'] as const;

export async function writeEtcFiles(paths: PodPaths, spec: PodSpec, hostname: string): Promise<void> {
  await mkdir(paths.etc, { recursive: true, mode: 0o755 });
  const lines = [
    '# Kubernetes-managed hosts file (Podsmith).',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::0\tip6-mcastprefix',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
    // The pod has no address of its own on a bridge: its hostname resolves to a loopback address.
    `127.0.1.1\t${hostname}`,
  ];
  const aliases = (spec.hostAliases ?? []).filter((a) => a.ip && a.hostnames?.length);
  if (aliases.length > 0) {
    lines.push('', '# Entries added by HostAliases.');
    for (const a of aliases) lines.push(`${a.ip}\t${a.hostnames!.join('\t')}`);
  }
  await writeFile(join(paths.etc, 'hosts'), lines.join('\n') + '\n', { mode: 0o644 });
  await writeFile(join(paths.etc, 'hostname'), hostname + '\n', { mode: 0o644 });
  await copyFile('/etc/resolv.conf', join(paths.etc, 'resolv.conf')).catch(() => writeFile(join(paths.etc, 'resolv.conf'), '', { mode: 0o644 }));
}

/** Bind mounts of the three files, except where the container mounts something of its own. */
export function etcMounts(paths: PodPaths, container: PodContainer): MountInput[] {
  const taken = new Set((container.volumeMounts ?? []).map((m) => m.mountPath.replace(/\/+$/, '')));
  return FILES.filter((f) => !taken.has(`/etc/${f}`)).map((f) => ({
    destination: `/etc/${f}`,
    source: join(paths.etc, f),
    readOnly: container.securityContext?.readOnlyRootFilesystem === true,
  }));
}
