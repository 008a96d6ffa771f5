// The Pod Runtime Interface's vocabulary. Status objects mirror Kubernetes field names (phase, conditions,
// containerStatuses[].state.terminated.exitCode, reason, restartCount) so `-o json` reads like kubectl's.

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';

export interface ContainerStateWaiting {
  reason: string; // ContainerCreating, PodInitializing, CrashLoopBackOff, ImagePullBackOff, ...
  message?: string;
}
export interface ContainerStateRunning {
  startedAt: string; // RFC 3339
}
export interface ContainerStateTerminated {
  exitCode: number;
  signal?: number;
  reason: string; // Completed, Error, OOMKilled, ContainerCannotRun, ...
  message?: string;
  startedAt?: string;
  finishedAt: string;
}
export interface ContainerState {
  waiting?: ContainerStateWaiting;
  running?: ContainerStateRunning;
  terminated?: ContainerStateTerminated;
}

export interface ContainerStatus {
  name: string;
  image: string;
  imageID: string; // digest the container runs
  containerID: string; // `podsmith://<id>`
  state: ContainerState;
  lastState: ContainerState;
  ready: boolean;
  started: boolean;
  restartCount: number;
}

export interface PodCondition {
  type: 'PodScheduled' | 'Initialized' | 'ContainersReady' | 'Ready' | 'PodReadyToStartContainers';
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime: string;
}

export interface PodStatus {
  /** Podsmith's id for the pod (stable across daemon restarts). */
  uid: string;
  name: string;
  namespace: string;
  runtimeClassName: string;
  /** Which OCI runtime runs the containers (runc, crun, youki). */
  ociRuntime?: string;
  /** What isolates the pod beyond namespaces, when something does (a microVM: QEMU, KVM or TCG, size). */
  isolation?: string;
  phase: PodPhase;
  reason?: string;
  message?: string;
  conditions: PodCondition[];
  podIP?: string;
  /** Every address of the pod, IPv4 first; podIP is the first. */
  podIPs?: string[];
  hostname: string;
  startTime?: string;
  /**
   * Set while the pod is being stopped or deleted (Kubernetes' metadata.deletionTimestamp: when SIGKILL is
   * due); `ps` shows such a pod as Terminating.
   */
  deletionTimestamp?: string;
  /** The grace period that set deletionTimestamp (metadata.deletionGracePeriodSeconds). */
  deletionGracePeriodSeconds?: number;
  initContainerStatuses: ContainerStatus[];
  containerStatuses: ContainerStatus[];
  /**
   * What the pod does not get here, in plain words: resource limits a rootless engine cannot enforce, no
   * outbound network, a module's CPU budget in place of fuel. Absent when there is nothing to say.
   */
  warnings?: string[];
}

/** What `run_pod` is given: the manifest text (the same validator as the editor admits it) and where it came from. */
export interface RunPodRequest {
  /** Manifest text of the file holding the Pod (and any ConfigMap/Secret documents it uses). */
  manifest: string;
  /** File name, for messages. */
  fileName?: string;
  /** Extra documents (other files of the same folder) for ConfigMap/Secret lookups, as `podman kube play` does. */
  extraManifests?: { fileName: string; text: string }[];
  /** Which pod of a multi-pod file (metadata.name); the first when absent. */
  podName?: string;
  /** Override the OCI runtime (`--oci-runtime`). */
  ociRuntime?: string;
}

export interface StopPodRequest {
  pod: string; // name or uid
  /** Seconds; clamped to 300; default the pod's terminationGracePeriodSeconds. */
  gracePeriodSeconds?: number;
}

export interface DeletePodRequest {
  pod: string;
  force?: boolean;
}

/**
 * The evidence of a container that made `run` fail, taken before the pod is removed (its logs go with it).
 */
export interface ContainerFailure {
  container: string;
  /** Error or OOMKilled (it exited), StartError (it could not start), FailedPostStartHook, CreateContainerConfigError. */
  reason: string;
  /** Set when the container ran and exited. */
  exitCode?: number;
  /** The container's last output lines, oldest first: at most 20 lines and 4 KiB, control characters removed. */
  lastLines: string[];
}

/**
 * What the daemon streams to watchers and keeps as history. `pod` and `container` are state changes;
 * `occurrence` is a Kubernetes event the kubelet would record (its reason: Created, Killing, Unhealthy,
 * FailedPostStartHook, FailedPreStopHook, ...); `pull` is image pull progress.
 */
export type PodEvent =
  | {
      type: 'pod';
      time: string;
      pod: string;
      uid: string;
      phase: PodPhase;
      /** The kubelet's word (Failed, FailedCreatePodSandBox) or the pod's status reason (Stopped, SandboxDied, ...). */
      reason?: string;
      message?: string;
      /** When `run` failed: the PodError's code, for programs. */
      code?: PodError['code'];
      /** When `run` failed because of one container: its evidence. */
      failure?: ContainerFailure;
    }
  | { type: 'container'; time: string; pod: string; uid: string; container: string; state: keyof ContainerState; reason?: string; exitCode?: number; message?: string }
  | { type: 'occurrence'; time: string; pod: string; uid: string; container?: string; severity: 'Normal' | 'Warning'; reason: string; message: string }
  | { type: 'pull'; time: string; pod?: string; image: string; progress: import('../image/types').PullProgress };

/**
 * What went wrong, for callers to branch on:
 * - CANCELLED: a forced delete cancelled the run while the pod was starting (everything was rolled back);
 * - RESOURCE_EXHAUSTED: the engine holds as many pods or containers as it may (LIMITS.podsPerEngine, containersPerEngine);
 * - TIMEOUT: a container did not start, or an exec did not finish, within its time limit.
 */
export type PodErrorCode =
  | 'INVALID'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'IMAGE'
  | 'START_FAILED'
  | 'INIT_FAILED'
  | 'LIMIT'
  | 'RUNTIME'
  | 'BUSY'
  | 'NOT_RUNNING'
  | 'NOT_SUPPORTED'
  | 'CANCELLED'
  | 'RESOURCE_EXHAUSTED'
  | 'TIMEOUT';

/** Errors callers branch on. `details` names the failing container and, when `run` failed, its evidence. */
export class PodError extends Error {
  constructor(
    message: string,
    readonly code: PodErrorCode,
    readonly details?: {
      container?: string;
      findings?: import('../manifest/types').Finding[];
      failure?: ContainerFailure;
      /** On a NOT_SUPPORTED pods/netns: the pod has no namespace here, but its runtime dials its ports (pods/dial). */
      dial?: boolean;
    },
  ) {
    super(message);
    this.name = 'PodError';
  }
}
