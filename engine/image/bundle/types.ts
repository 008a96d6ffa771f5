// Inputs of the bundle builder: the parts of a Kubernetes container and pod it reads, the values the engine has
// already resolved (configMaps, secrets, pod facts, namespace paths, host limits), and what it hands back.
// Field names follow the Kubernetes API so a parsed manifest can be passed as is.

import { ImageError, type ImageConfig } from '../types';
import type { RuntimeSpec } from './oci-spec';
import type { SeccompProfile } from './seccomp-profile';

export interface EnvVarSource {
  fieldRef?: { fieldPath: string; apiVersion?: string };
  resourceFieldRef?: { resource: string; containerName?: string; divisor?: string | number };
  configMapKeyRef?: { name: string; key: string; optional?: boolean };
  secretKeyRef?: { name: string; key: string; optional?: boolean };
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: EnvVarSource;
}

export interface EnvFromSource {
  prefix?: string;
  configMapRef?: { name: string; optional?: boolean };
  secretRef?: { name: string; optional?: boolean };
}

export interface Capabilities {
  add?: string[];
  drop?: string[];
}

export interface SecurityContext {
  capabilities?: Capabilities;
  privileged?: boolean;
  readOnlyRootFilesystem?: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  allowPrivilegeEscalation?: boolean;
  procMount?: 'Default' | 'Unmasked';
  seccompProfile?: { type: string; localhostProfile?: string };
}

export interface PodSecurityContext {
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  supplementalGroups?: number[];
  fsGroup?: number;
  /** `Merge` (default) adds the groups /etc/group lists for the user; `Strict` does not. */
  supplementalGroupsPolicy?: 'Merge' | 'Strict';
  seccompProfile?: { type: string; localhostProfile?: string };
}

export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: Protocol;
  hostPort?: number;
  hostIP?: string;
}

export type ResourceList = Record<string, string | number>;

/** The subset of a Kubernetes `Container` the builder reads. */
export interface ContainerSpec {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  workingDir?: string;
  env?: EnvVar[];
  envFrom?: EnvFromSource[];
  ports?: ContainerPort[];
  resources?: { limits?: ResourceList; requests?: ResourceList };
  securityContext?: SecurityContext;
  tty?: boolean;
  stdin?: boolean;
  stdinOnce?: boolean;
  lifecycle?: { stopSignal?: string };
}

/** What the engine knows about the pod: the values fieldRefs read and the pod-level settings. */
export interface PodFacts {
  name: string;
  namespace: string;
  uid: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** `spec.hostname`; the pod name (cut to 63 characters) when absent, as the kubelet does. */
  hostname?: string;
  podIP?: string;
  podIPs?: string[];
  hostIP?: string;
  hostIPs?: string[];
  nodeName?: string;
  serviceAccountName?: string;
  securityContext?: PodSecurityContext;
  shareProcessNamespace?: boolean;
  hostNetwork?: boolean;
  hostIPC?: boolean;
  hostPID?: boolean;
}

/** Data the engine fetched for env sources. Secret values are already decoded from base64. */
export interface EnvSources {
  configMaps?: Record<string, Record<string, string>>;
  secrets?: Record<string, Record<string, string>>;
  /** Service link variables (`KUBERNETES_SERVICE_HOST`, ...): visible to `$(VAR)`, overridden by the container's. */
  serviceEnv?: Record<string, string>;
  /** Node allocatable used by `resourceFieldRef` for limits the container does not set. */
  nodeAllocatable?: ResourceList;
  /**
   * Accept any printable ASCII except `=` as an envFrom key (the RelaxedEnvironmentVariableValidation feature).
   * Off by default: the classic C-identifier-like rule applies.
   */
  relaxedEnvNames?: boolean;
}

/** A volume the engine prepared on the host, bind-mounted into the container. */
export interface MountInput {
  destination: string;
  source: string;
  readOnly?: boolean;
  /** `bind` unless told; other types (tmpfs, ...) pass through with their options. */
  type?: string;
  options?: string[];
  propagation?: 'rprivate' | 'rslave' | 'rshared';
}

/** Paths of namespaces to join (`/proc/<pid>/ns/<type>`); a type left out gets a new namespace. */
export interface NamespacePaths {
  network?: string;
  ipc?: string;
  uts?: string;
  /** Joined only when the pod shares its process namespace. */
  pid?: string;
}

export type RlimitType =
  | 'RLIMIT_AS'
  | 'RLIMIT_CORE'
  | 'RLIMIT_CPU'
  | 'RLIMIT_DATA'
  | 'RLIMIT_FSIZE'
  | 'RLIMIT_LOCKS'
  | 'RLIMIT_MEMLOCK'
  | 'RLIMIT_MSGQUEUE'
  | 'RLIMIT_NICE'
  | 'RLIMIT_NOFILE'
  | 'RLIMIT_NPROC'
  | 'RLIMIT_RSS'
  | 'RLIMIT_RTPRIO'
  | 'RLIMIT_RTTIME'
  | 'RLIMIT_SIGPENDING'
  | 'RLIMIT_STACK';

export interface Rlimit {
  type: RlimitType;
  soft: number;
  hard: number;
}

export interface BundleInput {
  image: ImageConfig;
  container: ContainerSpec;
  pod: PodFacts;
  sources?: EnvSources;
  /** The unpacked image root: `path` goes into `root.path` (default `rootfs`), passwd/group are file contents. */
  rootfs?: { path?: string; passwd?: string; group?: string };
  /** Unique per container: the default derives from the container id and would collide across pods. */
  cgroupsPath: string;
  namespaces?: NamespacePaths;
  /** Set the UTS hostname: only the pause container does, or a joining container would rename the pod. */
  setHostname?: boolean;
  mounts?: MountInput[];
  /** The caller's hard limits; every rlimit is clamped to them (raising one needs CAP_SYS_RESOURCE). */
  rlimitCeilings?: Partial<Record<RlimitType, number>>;
  /** Replace or add rlimits over the defaults (RLIMIT_NOFILE 1048576). */
  rlimits?: Rlimit[];
  pidsLimit?: number;
  /** The capabilities the caller holds (its bounding set): what `ALL` and `privileged` grant. */
  allCapabilities?: string[];
  ociVersion?: '1.0.2' | '1.1.0';
  /**
   * Seccomp inputs: the Localhost profile the container's setting names (read with `readLocalhostProfile`),
   * the host's `process.arch` and `os.release()` (those two are read from the process unless given), and whether
   * its kernel runs x32-ABI calls (unknown unless given: the x32 rules stay).
   */
  seccomp?: { localhost?: SeccompProfile; arch?: string; kernel?: string; x32?: boolean };
}

export interface PortReport {
  /** From the image's ExposedPorts (`80/tcp`). */
  exposed: { port: number; protocol: Protocol }[];
  /** From the container spec, protocol defaulted to TCP. */
  declared: DeclaredPort[];
}

export type Protocol = 'TCP' | 'UDP' | 'SCTP';

export interface DeclaredPort {
  name?: string;
  containerPort: number;
  protocol: Protocol;
  hostPort?: number;
  hostIP?: string;
}

export interface BundleResult {
  config: RuntimeSpec;
  /** Things that did not stop the build but a user should hear about (skipped envFrom keys, unknown capabilities). */
  warnings: string[];
  ports: PortReport;
  /** Signal that asks the process to stop: container lifecycle, then the image's StopSignal, then SIGTERM. */
  stopSignal: string;
  /** Keep stdin open (`stdin`), close it after the first attach ends (`stdinOnce`). */
  stdin: boolean;
  stdinOnce: boolean;
}

/**
 * Codes: NO_COMMAND, BAD_WORKING_DIR, RUN_AS_ROOT, USER_NOT_FOUND, GROUP_NOT_FOUND, BAD_USER, MISSING_CONFIG_MAP,
 * MISSING_SECRET, MISSING_KEY, BAD_FIELD_REF, BAD_RESOURCE_REF, BAD_QUANTITY, BAD_MOUNT, BAD_NAMESPACE, BAD_RLIMIT,
 * SECCOMP, INVALID_SPEC.
 */
export class BundleError extends ImageError {
  constructor(message: string, code: string) {
    super(message, code);
    this.name = 'BundleError';
  }
}
