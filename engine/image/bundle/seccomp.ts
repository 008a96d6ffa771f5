// Which seccomp filter a container runs under, with the kubelet's rules: the container's
// securityContext.seccompProfile wins over the pod's; neither means RuntimeDefault (as Docker and podman do, and
// the kubelet with seccompDefault); a privileged container runs unconfined, whatever it asks for.

import { arch, release } from 'node:os';
import type { OciSeccomp } from './oci-spec';
import { RUNTIME_DEFAULT_PROFILE } from './seccomp-default';
import { resolveSeccompProfile, type SeccompProfile } from './seccomp-profile';
import { BundleError, type ContainerSpec, type PodFacts } from './types';

export type SeccompSetting = { type: 'RuntimeDefault' } | { type: 'Unconfined' } | { type: 'Localhost'; localhostProfile: string };

/** The effective setting of a container; throws for a type Kubernetes does not define or a Localhost with no path. */
export function seccompSettingOf(container: ContainerSpec, pod: PodFacts): SeccompSetting {
  if (container.securityContext?.privileged === true) return { type: 'Unconfined' };
  const own = container.securityContext?.seccompProfile;
  const chosen = own ?? pod.securityContext?.seccompProfile;
  const where = own ? 'securityContext.seccompProfile' : 'the pod securityContext.seccompProfile';
  if (!chosen) return { type: 'RuntimeDefault' };
  switch (chosen.type) {
    case 'RuntimeDefault':
    case 'Unconfined':
      return { type: chosen.type };
    case 'Localhost':
      if (typeof chosen.localhostProfile !== 'string' || chosen.localhostProfile === '')
        throw new BundleError(`container "${container.name}": ${where} is Localhost but names no localhostProfile`, 'SECCOMP');
      return { type: 'Localhost', localhostProfile: chosen.localhostProfile };
    default:
      throw new BundleError(
        `container "${container.name}": ${where}.type "${String(chosen.type)}" is not RuntimeDefault, Unconfined or Localhost`,
        'SECCOMP',
      );
  }
}

export interface SeccompInput {
  container: ContainerSpec;
  pod: PodFacts;
  /** The container's final capabilities: capability-conditional rules follow them. */
  capabilities: readonly string[];
  /** The Localhost profile, read by the caller (`readLocalhostProfile`) when the setting names one. */
  localhost?: SeccompProfile;
  /** Node's `process.arch` and `os.release()` unless told. */
  arch?: string;
  kernel?: string;
  /** Whether the kernel runs x32-ABI calls (see SeccompHost); unknown keeps the x32 rules. */
  x32?: boolean;
}

/** `linux.seccomp` for the container, or undefined when it runs unconfined. */
export function containerSeccomp(input: SeccompInput): OciSeccomp | undefined {
  const setting = seccompSettingOf(input.container, input.pod);
  if (setting.type === 'Unconfined') return undefined;
  let profile = RUNTIME_DEFAULT_PROFILE;
  if (setting.type === 'Localhost') {
    if (!input.localhost)
      throw new BundleError(
        `container "${input.container.name}": the Localhost seccomp profile "${setting.localhostProfile}" was not loaded`,
        'SECCOMP',
      );
    profile = input.localhost;
  }
  return resolveSeccompProfile(profile, {
    arch: input.arch ?? arch(),
    kernel: input.kernel ?? release(),
    capabilities: input.capabilities,
    ...(input.x32 !== undefined ? { x32: input.x32 } : {}),
  });
}
