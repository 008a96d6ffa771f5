// Closed sets of values that the API server enforces in its validation code (k8s.io/kubernetes
// pkg/apis/core/validation, and apimachinery's for metadata and label selectors) although the OpenAPI spec
// does not annotate them as enums (their Go types are plain strings, not `+enum`). Everything else comes
// from the spec's "Possible enum values" annotations (tools/schema-enum-source.ts); this table only fills
// the gaps, per definition (short name) and JSON field, each with where the set is enforced.
// The generator fails when an entry names no string field of the schema, or lists a value the annotations
// already give (the source caught up: delete it here). Status-only fields, which the API server ignores in
// a manifest, are left out on purpose, as are open-ended string types (HugePages-<size>, ResourceName).

export interface ValidationEnum {
  values: readonly string[];
  /** Where the API server enforces the set, and why the annotations miss it. */
  why: string;
}

export const VALIDATION_ENUMS: Record<string, Record<string, ValidationEnum>> = {
  ManagedFieldsEntry: {
    operation: { values: ['Apply', 'Update'], why: 'apimachinery ValidateManagedFields' },
    fieldsType: { values: ['FieldsV1'], why: 'apimachinery ValidateManagedFields' },
  },
  PodOS: { name: { values: ['linux', 'windows'], why: 'core validation of spec.os (OSName is a plain string type)' } },
  // Since release-1.34 (ContainerRestartRules) a regular container may also say OnFailure or Never.
  Container: { restartPolicy: { values: ['Always', 'OnFailure', 'Never'], why: 'core validation of container restart policies (ContainerRestartPolicy is not +enum)' } },
  EphemeralContainer: { restartPolicy: { values: ['Always', 'OnFailure', 'Never'], why: 'same type as Container.restartPolicy' } },
  ContainerResizePolicy: {
    resourceName: { values: ['cpu', 'memory'], why: 'core validation of resizePolicy: only cpu and memory can be resized' },
    restartPolicy: { values: ['NotRequired', 'RestartContainer'], why: 'core validation of resizePolicy (ResourceResizeRestartPolicy is not +enum)' },
  },
  ContainerRestartRule: { action: { values: ['Restart', 'RestartAllContainers'], why: 'core validation of restartPolicyRules' } },
  ContainerRestartRuleOnExitCodes: { operator: { values: ['In', 'NotIn'], why: 'core validation of restartPolicyRules' } },
  PodSecurityContext: { seLinuxChangePolicy: { values: ['MountOption', 'Recursive'], why: 'core validation of the pod security context (PodSELinuxChangePolicy is not +enum)' } },
  VolumeMount: { recursiveReadOnly: { values: ['Disabled', 'IfPossible', 'Enabled'], why: 'core validation of volumeMounts (RecursiveReadOnlyMode is not +enum)' } },
  LabelSelectorRequirement: { operator: { values: ['In', 'NotIn', 'Exists', 'DoesNotExist'], why: 'apimachinery ValidateLabelSelectorRequirement (meta/v1 carries no annotations)' } },
  PersistentVolumeClaimSpec: {
    accessModes: { values: ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'], why: 'core validation of PVC specs (PersistentVolumeAccessMode is not +enum)' },
  },
  PodCertificateProjection: { keyType: { values: ['RSA3072', 'RSA4096', 'ECDSAP256', 'ECDSAP384', 'ECDSAP521', 'ED25519'], why: 'core validation of podCertificate projections' } },
};
