// The engine's security limits, in one place: the language server underlines what `run_pod` would refuse,
// because both read these numbers. Values come from the seeds' security tables.

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

export const LIMITS = {
  /** Whole manifest file. */
  manifestBytes: 1 * MiB,
  containersPerPod: 16,
  initContainersPerPod: 16,
  volumesPerPod: 64,
  envVarsPerContainer: 256,
  envValueBytes: 32 * 1024,
  labelsPerObject: 64,
  annotationsPerObject: 64,
  labelKeyBytes: 253,
  terminationGracePeriodSeconds: 300,
  podNameLength: 253,
  containerNameLength: 63,
  namespaceLength: 63,
  imageReferenceBytes: 512,
  containerMemoryBytes: 8 * GiB,
  microvmVcpusPerPod: 8,
  microvmMemoryMiBPerPod: 4096,
  /** Pods one engine (every runtime class together) holds at once; checked before a run allocates anything. */
  podsPerEngine: 1024,
  /** Containers (init and app) of every pod of one engine together. */
  containersPerEngine: 1024,
  /** Creating and starting one container (`runc create` under conmon, then `runc start`). */
  containerStartSeconds: 60,
  /** A whole image pull (engine/image/registry's DEFAULT_TIMEOUTS). */
  imagePullSeconds: 300,
  /** An exec with neither a terminal nor stdin; an interactive session never times out. */
  execSeconds: 300,
} as const;

export type LimitName = keyof typeof LIMITS;
