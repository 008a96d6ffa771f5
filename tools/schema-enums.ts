// Allowed values of the enum fields in the Pod tree. client-node drops the OpenAPI enums, so they are kept
// here by hand, per definition (short name, as in the generated schema) and JSON field. Values follow the
// `+enum` string types of k8s.io/api core/v1 in release-1.36 plus the closed sets the API server enforces
// in validation (PodOS name, resize resource names, pod certificate key types). Open-ended string types
// (StorageMedium's HugePages-<size>, PodConditionType, ResourceName) are deliberately absent.
// The generator fails on an entry that names no string field, so the table cannot silently rot.

const PULL_POLICY = ['Always', 'IfNotPresent', 'Never'];
const RESTART_POLICY = ['Always', 'OnFailure', 'Never'];
// Since 1.34 (ContainerRestartRules) a regular container may also say OnFailure or Never.
const CONTAINER_RESTART_POLICY = ['Always', 'OnFailure', 'Never'];
const TERMINATION_MESSAGE_POLICY = ['File', 'FallbackToLogsOnError'];
const PROFILE_TYPE = ['Localhost', 'RuntimeDefault', 'Unconfined'];
const RECURSIVE_READ_ONLY = ['Disabled', 'IfPossible', 'Enabled'];
const NODE_INCLUSION_POLICY = ['Honor', 'Ignore'];
const TAINT_EFFECT = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
const CONDITION_STATUS = ['True', 'False', 'Unknown'];

function realtimeSignals(): string[] {
  const out = ['SIGRTMIN'];
  for (let i = 1; i <= 15; i++) out.push(`SIGRTMIN+${i}`);
  for (let i = 14; i >= 1; i--) out.push(`SIGRTMAX-${i}`);
  out.push('SIGRTMAX');
  return out;
}

const SIGNALS = [
  'SIGABRT', 'SIGALRM', 'SIGBUS', 'SIGCHLD', 'SIGCLD', 'SIGCONT', 'SIGFPE', 'SIGHUP', 'SIGILL', 'SIGINT', 'SIGIO',
  'SIGIOT', 'SIGKILL', 'SIGPIPE', 'SIGPOLL', 'SIGPROF', 'SIGPWR', 'SIGQUIT', 'SIGSEGV', 'SIGSTKFLT', 'SIGSTOP',
  'SIGSYS', 'SIGTERM', 'SIGTRAP', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU', 'SIGURG', 'SIGUSR1', 'SIGUSR2', 'SIGVTALRM',
  'SIGWINCH', 'SIGXCPU', 'SIGXFSZ', ...realtimeSignals(),
];

const CONTAINER_ENUMS = {
  imagePullPolicy: PULL_POLICY,
  restartPolicy: CONTAINER_RESTART_POLICY,
  terminationMessagePolicy: TERMINATION_MESSAGE_POLICY,
};

/** definition → field → allowed values (for an array of strings, the allowed item values). */
export const ENUMS: Record<string, Record<string, readonly string[]>> = {
  Pod: { apiVersion: ['v1'], kind: ['Pod'] },
  ConfigMap: { apiVersion: ['v1'], kind: ['ConfigMap'] },
  Secret: { apiVersion: ['v1'], kind: ['Secret'] },
  ManagedFieldsEntry: { operation: ['Apply', 'Update'], fieldsType: ['FieldsV1'] },

  PodSpec: {
    restartPolicy: RESTART_POLICY,
    dnsPolicy: ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'],
    preemptionPolicy: ['PreemptLowerPriority', 'Never'],
  },
  PodOS: { name: ['linux', 'windows'] },
  Container: CONTAINER_ENUMS,
  EphemeralContainer: CONTAINER_ENUMS,
  ContainerPort: { protocol: ['TCP', 'UDP', 'SCTP'] },
  ContainerResizePolicy: { resourceName: ['cpu', 'memory'], restartPolicy: ['NotRequired', 'RestartContainer'] },
  ContainerRestartRule: { action: ['Restart', 'RestartAllContainers'] },
  ContainerRestartRuleOnExitCodes: { operator: ['In', 'NotIn'] },
  Lifecycle: { stopSignal: SIGNALS },
  HTTPGetAction: { scheme: ['HTTP', 'HTTPS'] },

  PodSecurityContext: {
    fsGroupChangePolicy: ['OnRootMismatch', 'Always'],
    supplementalGroupsPolicy: ['Merge', 'Strict'],
    seLinuxChangePolicy: ['MountOption', 'Recursive'],
  },
  SecurityContext: { procMount: ['Default', 'Unmasked'] },
  SeccompProfile: { type: PROFILE_TYPE },
  AppArmorProfile: { type: PROFILE_TYPE },

  Toleration: { operator: ['Exists', 'Equal', 'Lt', 'Gt'], effect: TAINT_EFFECT },
  NodeSelectorRequirement: { operator: ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'] },
  LabelSelectorRequirement: { operator: ['In', 'NotIn', 'Exists', 'DoesNotExist'] },
  TopologySpreadConstraint: {
    whenUnsatisfiable: ['DoNotSchedule', 'ScheduleAnyway'],
    nodeAffinityPolicy: NODE_INCLUSION_POLICY,
    nodeTaintsPolicy: NODE_INCLUSION_POLICY,
  },

  VolumeMount: { mountPropagation: ['None', 'HostToContainer', 'Bidirectional'], recursiveReadOnly: RECURSIVE_READ_ONLY },
  HostPathVolumeSource: {
    type: ['', 'DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket', 'CharDevice', 'BlockDevice'],
  },
  AzureDiskVolumeSource: { cachingMode: ['None', 'ReadOnly', 'ReadWrite'], kind: ['Shared', 'Dedicated', 'Managed'] },
  PersistentVolumeClaimSpec: {
    volumeMode: ['Block', 'Filesystem'],
    accessModes: ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'],
  },
  ImageVolumeSource: { pullPolicy: PULL_POLICY },
  PodCertificateProjection: { keyType: ['RSA3072', 'RSA4096', 'ECDSAP256', 'ECDSAP384', 'ECDSAP521', 'ED25519'] },

  PodStatus: {
    phase: ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'],
    qosClass: ['Guaranteed', 'Burstable', 'BestEffort'],
    resize: ['InProgress', 'Deferred', 'Infeasible'],
  },
  PodCondition: { status: CONDITION_STATUS },
  ContainerStatus: { stopSignal: SIGNALS },
  VolumeMountStatus: { recursiveReadOnly: RECURSIVE_READ_ONLY },
  ResourceHealth: { health: ['Healthy', 'Unhealthy', 'Unknown'] },
};
