// Shared helpers for the assist tests: a cursor marker in fixture text, and a small stand-in schema so the
// cursor logic is tested apart from the generated Kubernetes schema.
import type { FieldInfo, SchemaRoot } from '../../engine/manifest/schema/index';
import type { Path } from '../../engine/manifest/types';

/** Splits `src` at its single `|` marker into text and cursor offset. */
export function cursor(src: string): { text: string; offset: number } {
  const offset = src.indexOf('|');
  if (offset < 0 || src.indexOf('|', offset + 1) >= 0) throw new Error('fixture needs exactly one | marker');
  return { text: src.slice(0, offset) + src.slice(offset + 1), offset };
}

interface Shape {
  type: string;
  description?: string;
  enum?: string[];
  required?: boolean;
  fields?: Record<string, Shape>;
  item?: Shape;
}

const str = (description: string, extra: Partial<Shape> = {}): Shape => ({ type: 'string', description, ...extra });
const int = (description: string): Shape => ({ type: 'integer', description });
const obj = (description: string, fields: Record<string, Shape>, extra: Partial<Shape> = {}): Shape => ({ type: 'object', description, fields, ...extra });
const arr = (of: string, description: string, item: Shape): Shape => ({ type: `array of ${of}`, description, item });

const handler = obj('A handler.', { httpGet: obj('HTTP GET.', { port: { type: 'int-or-string', description: 'Port to probe.' }, path: str('Path.') }), tcpSocket: obj('TCP.', { port: { type: 'int-or-string', description: 'Port.' } }) });
const container = obj('A container.', {
  name: str('Name of the container.', { required: true }),
  image: str('Container image reference.'),
  imagePullPolicy: str('When to pull the image.', { enum: ['Always', 'IfNotPresent', 'Never'] }),
  ports: arr('ContainerPort', 'Ports to expose.', obj('A port.', { containerPort: int('Port number.'), name: str('Port name.'), protocol: str('Protocol.', { enum: ['TCP', 'UDP', 'SCTP'] }) })),
  volumeMounts: arr('VolumeMount', 'Mounts.', obj('A mount.', { name: str('Volume name.', { required: true }), mountPath: str('Where.', { required: true }) })),
  env: arr('EnvVar', 'Environment.', obj('A variable.', { name: str('Name.'), value: str('Value.'), valueFrom: obj('Source.', { configMapKeyRef: obj('Ref.', { name: str('ConfigMap.'), key: str('Key.') }) }) })),
  resources: obj('Compute resources.', { limits: { type: 'map of quantity', description: 'Limits.', fields: { memory: { type: 'quantity', description: 'Memory.' } } } }),
  livenessProbe: handler,
  stdin: { type: 'boolean', description: 'Keep stdin open.' },
});
const meta = obj('Object metadata.', { name: str('Name.'), namespace: str('Namespace.'), labels: { type: 'map of string', description: 'Labels.' } });
const podSpec = obj('Pod spec.', {
  containers: arr('Container', 'Containers.', container),
  initContainers: arr('Container', 'Init containers.', container),
  volumes: arr('Volume', 'Volumes.', obj('A volume.', { name: str('Name.', { required: true }), emptyDir: obj('Scratch.', {}), configMap: obj('ConfigMap volume.', { name: str('ConfigMap name.') }) })),
  runtimeClassName: str('Runtime class.'),
  restartPolicy: str('Restart policy.', { enum: ['Always', 'OnFailure', 'Never'] }),
  terminationGracePeriodSeconds: int('Grace period.'),
});
const ROOTS: Record<string, Shape> = {
  Pod: obj('A pod.', { apiVersion: str('API version.'), kind: str('Kind.'), metadata: meta, spec: podSpec, status: obj('Status.', {}) }),
  PodTemplateSpec: obj('A pod template.', { metadata: meta, spec: podSpec }),
};

/** A describePath over the stand-in schema, following the real contract. */
export function fakeDescribe(root: SchemaRoot, path: Path): FieldInfo | undefined {
  let s: Shape | undefined = ROOTS[root];
  for (const seg of path) {
    if (!s) return undefined;
    s = typeof seg === 'number' ? s.item : s.fields?.[seg];
  }
  if (!s) return undefined;
  const info: FieldInfo = { type: s.type, description: s.description, enum: s.enum, required: s.required };
  if (s.fields) {
    info.properties = Object.fromEntries(
      Object.entries(s.fields).map(([k, f]) => [k, { type: f.type, description: f.description, required: f.required }]),
    );
  }
  return info;
}
