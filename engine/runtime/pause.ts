// The pause container: `catatonit -P` in a tiny read-only rootfs that holds nothing but the static catatonit
// binary. It creates the pod's network, IPC and UTS namespaces (and the pid namespace when the pod shares
// one), sets the pod hostname, and every other container joins it through /proc/<pid>/ns/*.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, mkdir, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { BundleInput, PodFacts } from '../image/bundle';
import { RuntimeError } from './errors';
import { CATATONIT_DIRS, findExecutable } from './executables';
import { hostFacts } from './host-facts';
import { mappedIdOr0 } from '../rootless/ids';

/** uid/gid of the pause process, as in the Kubernetes pause image (root in a single-id rootless namespace). */
export const PAUSE_USER = 65535;
export const PAUSE_CONTAINER_NAME = 'POD';

export function findCatatonit(): string {
  const path = findExecutable('catatonit', CATATONIT_DIRS);
  if (!path) throw new RuntimeError('catatonit is not installed (apt-get install catatonit): it is the pod pause process', 'NOT_INSTALLED');
  return path;
}

/**
 * `<home>/runtime/pause/rootfs` with catatonit copied in (not bind-mounted: a copy cannot be swapped under a
 * running pod). Recopied when the host binary changes size or age.
 */
export async function ensurePauseRootfs(home: string): Promise<string> {
  const source = findCatatonit();
  const rootfs = join(home, 'runtime', 'pause', 'rootfs');
  const target = join(rootfs, 'catatonit');
  const [src, dst] = await Promise.all([stat(source), stat(target).catch(() => undefined)]);
  if (dst && dst.size === src.size && dst.mtimeMs >= src.mtimeMs) return rootfs;
  for (const d of ['proc', 'dev', 'sys', 'etc']) await mkdir(join(rootfs, d), { recursive: true, mode: 0o755 });
  // Copy under a private name then rename, so a concurrent start never runs a half-copied binary (private to
  // each call: the first pods run at once all get here).
  const temp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await copyFile(source, temp, constants.COPYFILE_FICLONE);
  await rename(temp, target);
  return rootfs;
}

/** Bundle-builder input of a pod's pause container. */
export function pauseBundleInput(o: { pod: PodFacts; rootfs: string; cgroupsPath: string; pidsLimit?: number; command?: string[] }): BundleInput {
  // The pod's securityContext is for its containers: runAsNonRoot must not refuse the pause process.
  const { securityContext: _ignored, ...pod } = o.pod;
  const facts = hostFacts();
  return {
    image: { config: {} },
    container: {
      name: PAUSE_CONTAINER_NAME,
      command: o.command ?? ['/catatonit', '-P'],
      securityContext: {
        capabilities: { drop: ['ALL'] },
        readOnlyRootFilesystem: true,
        runAsUser: mappedIdOr0(PAUSE_USER),
        runAsGroup: mappedIdOr0(PAUSE_USER),
        allowPrivilegeEscalation: false,
      },
    },
    pod,
    rootfs: { path: o.rootfs },
    cgroupsPath: o.cgroupsPath,
    // A hostNetwork pod keeps the host's UTS namespace: there is no hostname of its own to set.
    setHostname: !pod.hostNetwork,
    rlimitCeilings: facts.rlimitCeilings,
    allCapabilities: facts.allCapabilities,
    pidsLimit: o.pidsLimit,
    ...(facts.x32 !== undefined ? { seccomp: { x32: facts.x32 } } : {}),
  };
}
