// Builds the OCI runtime `config.json` for one pod container from its image config and Kubernetes spec.
// Pure: every fact from the host (rootfs passwd/group, namespace paths, limits, capabilities) is an input.
// Seccomp follows securityContext.seccompProfile (seccomp.ts): RuntimeDefault unless told, a Localhost profile
// comes in already read from disk.
// Not done either: host devices for privileged containers (needs a /dev scan), oom_score_adj (lowering it
// needs CAP_SYS_RESOURCE, which engines often lack), AppArmor/SELinux labels and sysctls.

import { ALL_CAPABILITIES, DEFAULT_CAPABILITIES, adjustCapabilities } from './capabilities';
import { resolveArgv, resolveWorkingDir } from './command';
import { kubeletEnv, mergeEnv, podHostname } from './env';
import { lookupIn } from './expansion';
import { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS } from './masked-paths';
import { buildMounts } from './mounts';
import { buildNamespaces } from './namespaces';
import { validateRuntimeSpec, type RuntimeSpec } from './oci-spec';
import { reportPorts, stopSignal } from './ports';
import { linuxResources } from './resources';
import { resolveRlimits } from './rlimits';
import { BundleError, type BundleInput, type BundleResult } from './types';
import { containerSeccomp } from './seccomp';
import { resolveUser } from './user';

export function buildBundleConfig(input: BundleInput): BundleResult {
  const { image, container, pod } = input;
  const sc = container.securityContext ?? {};
  const privileged = sc.privileged === true;
  const warnings: string[] = [];

  if (!input.cgroupsPath || input.cgroupsPath.includes('\0'))
    throw new BundleError(
      `container "${container.name}": a cgroupsPath is required (unique per container)`,
      'INVALID_SPEC',
    );
  if (privileged && sc.allowPrivilegeEscalation === false)
    throw new BundleError(
      `container "${container.name}": privileged and allowPrivilegeEscalation: false contradict each other`,
      'INVALID_SPEC',
    );

  const env = kubeletEnv(container, pod, input.sources);
  warnings.push(...env.warnings);
  const args = resolveArgv(image, container, lookupIn(env.vars));
  const hostname = podHostname(pod);
  const tty = container.tty === true;

  const user = resolveUser({
    container: container.name,
    imageUser: image.config?.User,
    securityContext: sc,
    podSecurityContext: pod.securityContext,
    passwd: input.rootfs?.passwd,
    group: input.rootfs?.group,
  });

  const available = input.allCapabilities ?? ALL_CAPABILITIES;
  const caps = privileged
    ? { capabilities: ALL_CAPABILITIES.filter((c) => available.includes(c)), warnings: [] }
    : adjustCapabilities(DEFAULT_CAPABILITIES, sc.capabilities, available);
  warnings.push(...caps.warnings.map((w) => `container "${container.name}": ${w}`));

  const seccomp = containerSeccomp({
    container,
    pod,
    capabilities: caps.capabilities,
    localhost: input.seccomp?.localhost,
    arch: input.seccomp?.arch,
    kernel: input.seccomp?.kernel,
    ...(input.seccomp?.x32 !== undefined ? { x32: input.seccomp.x32 } : {}),
  });

  const unmasked = privileged || sc.procMount === 'Unmasked';
  const config: RuntimeSpec = {
    ociVersion: input.ociVersion ?? '1.0.2',
    process: {
      terminal: tty,
      user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
      args,
      env: mergeEnv(image.config?.Env ?? undefined, env.vars, { hostname, tty }),
      cwd: resolveWorkingDir(image, container),
      capabilities: {
        bounding: [...caps.capabilities],
        effective: [...caps.capabilities],
        permitted: [...caps.capabilities],
      },
      rlimits: resolveRlimits(input.rlimits, input.rlimitCeilings),
      // Kubernetes leaves no_new_privs off unless allowPrivilegeEscalation is explicitly false.
      noNewPrivileges: sc.allowPrivilegeEscalation === false,
    },
    root: { path: input.rootfs?.path ?? 'rootfs', readonly: sc.readOnlyRootFilesystem === true },
    ...(input.setHostname ? { hostname } : {}),
    mounts: buildMounts(input.mounts ?? [], privileged),
    annotations: {
      'io.kubernetes.cri.container-type': input.setHostname ? 'sandbox' : 'container',
      'io.kubernetes.cri.container-name': container.name,
      'io.kubernetes.cri.sandbox-name': pod.name,
      'io.kubernetes.cri.sandbox-namespace': pod.namespace,
      'io.kubernetes.cri.sandbox-uid': pod.uid,
    },
    linux: {
      namespaces: buildNamespaces(pod, input.namespaces, input.setHostname),
      cgroupsPath: input.cgroupsPath,
      resources: linuxResources(container, { privileged, pidsLimit: input.pidsLimit }),
      maskedPaths: unmasked ? [] : [...DEFAULT_MASKED_PATHS],
      readonlyPaths: unmasked ? [] : [...DEFAULT_READONLY_PATHS],
      ...(seccomp ? { seccomp } : {}),
    },
  };

  const problems = validateRuntimeSpec(config);
  if (problems.length > 0)
    throw new BundleError(
      `container "${container.name}": generated config is invalid: ${problems.join('; ')}`,
      'INVALID_SPEC',
    );

  return {
    config,
    warnings,
    ports: reportPorts(image, container),
    stopSignal: stopSignal(image, container),
    stdin: container.stdin === true,
    stdinOnce: container.stdinOnce === true,
  };
}
