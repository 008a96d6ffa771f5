// The value an "add the missing field" fix inserts: something the user recognises and edits, valid where a
// valid value is obvious (a port, an operator) and visibly empty where only they can know it (an image).
import { displayType, resolve, type SchemaNode } from './model';

const BY_FIELD: Record<string, unknown> = {
  'PodSpec.containers': [{ name: 'app', image: '' }],
  'Container.name': 'app',
  'EphemeralContainer.name': 'debugger',
  'ContainerPort.containerPort': 8080,
  'HTTPGetAction.port': 8080,
  'TCPSocketAction.port': 8080,
  'GRPCAction.port': 9090,
  'EnvVar.name': 'NAME',
  'Volume.name': 'data',
  'VolumeMount.name': 'data',
  'VolumeMount.mountPath': '/data',
  'VolumeDevice.name': 'data',
  'VolumeDevice.devicePath': '/dev/xvda',
  'HostPathVolumeSource.path': '/data',
  'KeyToPath.key': 'key',
  'KeyToPath.path': 'key',
  'ConfigMapKeySelector.key': 'key',
  'SecretKeySelector.key': 'key',
  'ObjectFieldSelector.fieldPath': 'metadata.name',
  'ResourceFieldSelector.resource': 'limits.cpu',
  'DownwardAPIVolumeFile.path': 'labels',
  'ServiceAccountTokenProjection.path': 'token',
  'ClusterTrustBundleProjection.path': 'ca.crt',
  'PodCertificateProjection.keyType': 'ED25519',
  'PodAffinityTerm.topologyKey': 'kubernetes.io/hostname',
  'WeightedPodAffinityTerm.podAffinityTerm': { topologyKey: 'kubernetes.io/hostname' },
  'WeightedPodAffinityTerm.weight': 1,
  'PreferredSchedulingTerm.weight': 1,
  'TopologySpreadConstraint.maxSkew': 1,
  'TopologySpreadConstraint.topologyKey': 'topology.kubernetes.io/zone',
  'HostAlias.ip': '127.0.0.1',
  'SleepAction.seconds': 5,
  'SeccompProfile.type': 'RuntimeDefault',
  'AppArmorProfile.type': 'RuntimeDefault',
  'ContainerResizePolicy.restartPolicy': 'NotRequired',
};

/** A placeholder for `definition.field`, from the table or else from the field's type. */
export function placeholder(definition: string, field: string, node: SchemaNode | undefined): unknown {
  const key = `${definition}.${field}`;
  if (key in BY_FIELD) return structuredClone(BY_FIELD[key]);
  if (!node) return '';
  const n = resolve(node);
  if (n.enum?.length) return n.enum.find((v) => v !== '') ?? n.enum[0];
  switch (displayType(node)) {
    case 'integer':
    case 'number':
      return 0;
    case 'boolean':
      return false;
    case 'int-or-string':
      return 8080;
    case 'quantity':
      return '1';
  }
  if (n.type === 'array') return [];
  if (n.type === 'object') return {};
  return '';
}
