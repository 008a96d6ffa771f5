// How many of a thing a pod may hold: containers, init containers, volumes, env vars, labels, annotations.
// Each is pinned on the key of the list or map that is too long.
import type { Report } from '../manifest/report';
import type { Path } from '../manifest/types';
import { arrField, containersOf, describeContainer, objField } from './pod-walk';
import { LIMITS } from './table';

function tooMany(rule: string, path: Path, count: number, limit: number, what: string, advice: string): Report[] {
  if (count <= limit) return [];
  return [{ rule, path, target: 'key', message: `${what} ${count}; the limit is ${limit}. ${advice}` }];
}

export function checkCounts(pod: unknown): Report[] {
  const spec = objField(pod, 'spec');
  const meta = objField(pod, 'metadata');
  const count = (list: unknown[] | undefined) => list?.length ?? 0;
  const mapSize = (m: Record<string, unknown> | undefined) => (m ? Object.keys(m).length : 0);
  const out: Report[] = [
    ...tooMany('limit-containers', ['spec', 'containers'], count(arrField(spec, 'containers')), LIMITS.containersPerPod,
      'Containers in this pod:', 'Merge containers or split the workload across pods.'),
    ...tooMany('limit-init-containers', ['spec', 'initContainers'], count(arrField(spec, 'initContainers')),
      LIMITS.initContainersPerPod, 'Init containers in this pod:', 'Combine init steps into fewer containers.'),
    ...tooMany('limit-volumes', ['spec', 'volumes'], count(arrField(spec, 'volumes')), LIMITS.volumesPerPod,
      'Volumes in this pod:', 'Remove unused volumes, or combine ConfigMaps and Secrets into one projected volume.'),
    ...tooMany('limit-labels', ['metadata', 'labels'], mapSize(objField(meta, 'labels')), LIMITS.labelsPerObject,
      'Labels on this pod:', 'Keep the labels you select on and move the rest into annotations.'),
    ...tooMany('limit-annotations', ['metadata', 'annotations'], mapSize(objField(meta, 'annotations')),
      LIMITS.annotationsPerObject, 'Annotations on this pod:', 'Remove some, or merge related ones into one JSON-valued annotation.'),
  ];
  for (const c of containersOf(pod)) {
    out.push(
      ...tooMany('limit-env-count', [...c.path, 'env'], count(arrField(c.container, 'env')), LIMITS.envVarsPerContainer,
        `Environment variables in ${describeContainer(c)}:`, 'Move them into a ConfigMap and load it with envFrom.'),
    );
  }
  return out;
}
