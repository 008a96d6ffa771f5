// Answers "what is the field at this path" for any document Podsmith checks. The schema module knows the
// pod (as Pod or PodTemplateSpec), ConfigMap and Secret; the few workload fields on the way down to a pod
// template live in a small table here, so completion can lead a Deployment author to `spec.template.spec`.
import { WORKLOADS } from '../documents';
import { describePath, type FieldInfo, type SchemaRoot } from '../schema/index';
import type { Path } from '../types';

export type Describe = (root: SchemaRoot, path: Path) => FieldInfo | undefined;

/** Where a document path lands: inside a pod object (a Pod, or a workload's template) or elsewhere. */
export interface Placement {
  /** Path relative to the pod object (`metadata` + `spec`), when the path is inside one. */
  podRel?: Path;
  /** Path of the pod object inside the document. */
  podPath?: Path;
}

export function placement(kind: string | undefined, path: Path): Placement {
  const podPath = kind === 'Pod' ? [] : kind && WORKLOADS[kind] ? WORKLOADS[kind].template : undefined;
  if (!podPath || !startsWith(path, podPath)) return { podPath };
  return { podPath, podRel: path.slice(podPath.length) };
}

export function startsWith(path: Path, prefix: Path): boolean {
  return prefix.length <= path.length && prefix.every((seg, i) => path[i] === seg);
}

/** Schema facts for `path` (array indexes as numbers) in a document of `kind`. */
export function fieldAt(kind: string | undefined, path: Path, describe: Describe = describePath): FieldInfo | undefined {
  const safe = (root: SchemaRoot, p: Path): FieldInfo | undefined => {
    try {
      return describe(root, p);
    } catch {
      // A schema lookup must never break hover or completion.
      return undefined;
    }
  };
  if (kind === 'Pod' || kind === 'ConfigMap' || kind === 'Secret') return safe(kind, path);
  const workload = kind ? WORKLOADS[kind] : undefined;
  if (workload) {
    if (startsWith(path, workload.template)) {
      const rel = path.slice(workload.template.length);
      return safe('PodTemplateSpec', rel) ?? (rel.length === 0 ? workloadField(kind!, path) : undefined);
    }
    const local = workloadField(kind!, path);
    if (local) return local;
  }
  // apiVersion, kind and metadata mean the same in every object; the pod's schema describes them.
  if (path.length > 0 && (path[0] === 'apiVersion' || path[0] === 'kind' || path[0] === 'metadata')) return safe('Pod', path);
  if (path.length === 0) return { type: 'object', properties: ROOT_FIELDS };
  return undefined;
}

/** The fields an object at `path` may hold (an array's items when `path` names an array). */
export function childFields(kind: string | undefined, path: Path, describe: Describe = describePath): FieldInfo['properties'] {
  const info = fieldAt(kind, path, describe);
  if (info?.properties) return info.properties;
  if (info && /^array\b/.test(info.type)) return fieldAt(kind, [...path, 0], describe)?.properties;
  return undefined;
}

// ---- the workload table ---------------------------------------------------------------------------------

interface Node {
  type: string;
  description?: string;
  required?: boolean;
  enum?: string[];
  children?: Record<string, Node>;
}

const int = (description: string): Node => ({ type: 'integer', description });
const bool = (description: string): Node => ({ type: 'boolean', description });
const obj = (description: string, children?: Record<string, Node>, required?: boolean): Node => ({
  type: 'object',
  description,
  children,
  required,
});

const ROOT_FIELDS: NonNullable<FieldInfo['properties']> = {
  apiVersion: { type: 'string', description: 'The API group and version that serve this kind of object.', required: true },
  kind: { type: 'string', description: 'The kind of object this document describes.', required: true },
  metadata: { type: 'object', description: 'Name, namespace, labels and annotations of the object.', required: true },
  spec: { type: 'object', description: 'The desired state of the object.' },
};

const selector = obj('Label query selecting the pods this workload owns; it must match the template labels.', {
  matchLabels: { type: 'map of string', description: 'Labels a pod must carry, all of them.' },
  matchExpressions: { type: 'array of LabelSelectorRequirement', description: 'Set-based requirements a pod must meet, all of them.' },
}, true);
const template = obj('The pod template: the `metadata` and `spec` of every pod this workload creates.', undefined, true);
const minReadySeconds = int('Seconds a new pod must be ready, without crashing, before it counts as available.');
const revisionHistoryLimit = int('How many old revisions to keep for rollback.');
const replicas = int('How many pods to run.');

const JOB_SPEC: Record<string, Node> = {
  template,
  parallelism: int('How many pods may run at once.'),
  completions: int('How many pods must finish successfully.'),
  backoffLimit: int('Retries before the job is marked failed.'),
  activeDeadlineSeconds: int('Seconds the job may run before it is stopped.'),
  ttlSecondsAfterFinished: int('Seconds after finishing before the job is deleted.'),
  completionMode: { type: 'string', description: 'How completions are counted.', enum: ['NonIndexed', 'Indexed'] },
  suspend: bool('Whether the job is paused.'),
  selector: { ...selector, required: false },
  manualSelector: bool('Whether the selector is managed by hand.'),
};

const WORKLOAD_SPECS: Record<string, Record<string, Node>> = {
  Deployment: {
    replicas,
    selector,
    template,
    strategy: obj('How old pods are replaced by new ones.', {
      type: { type: 'string', description: 'Replacement strategy.', enum: ['RollingUpdate', 'Recreate'] },
      rollingUpdate: obj('Limits for a rolling update.', {
        maxSurge: { type: 'int-or-string', description: 'Pods allowed above the desired count during an update.' },
        maxUnavailable: { type: 'int-or-string', description: 'Pods allowed to be unavailable during an update.' },
      }),
    }),
    minReadySeconds,
    revisionHistoryLimit,
    progressDeadlineSeconds: int('Seconds a rollout may stall before it is reported as failed.'),
    paused: bool('Whether rollouts are paused.'),
  },
  StatefulSet: {
    replicas,
    selector,
    template,
    serviceName: { type: 'string', description: 'The headless service that gives the pods their network identity.' },
    podManagementPolicy: { type: 'string', description: 'Whether pods start in order or all at once.', enum: ['OrderedReady', 'Parallel'] },
    updateStrategy: obj('How pods are replaced when the template changes.', {
      type: { type: 'string', description: 'Update strategy.', enum: ['RollingUpdate', 'OnDelete'] },
    }),
    volumeClaimTemplates: { type: 'array of PersistentVolumeClaim', description: 'Storage claims made for every pod.' },
    minReadySeconds,
    revisionHistoryLimit,
  },
  DaemonSet: {
    selector,
    template,
    updateStrategy: obj('How pods are replaced when the template changes.', {
      type: { type: 'string', description: 'Update strategy.', enum: ['RollingUpdate', 'OnDelete'] },
    }),
    minReadySeconds,
    revisionHistoryLimit,
  },
  ReplicaSet: { replicas, selector, template, minReadySeconds },
  Job: JOB_SPEC,
  CronJob: {
    schedule: { type: 'string', description: 'When to run, in cron syntax (`*/5 * * * *`).', required: true },
    timeZone: { type: 'string', description: 'Time zone of the schedule, such as `Etc/UTC`.' },
    jobTemplate: obj('The job created at each scheduled time.', {
      metadata: { type: 'object', description: 'Labels and annotations of the created jobs.' },
      spec: obj('The spec of each created job.', JOB_SPEC),
    }, true),
    concurrencyPolicy: { type: 'string', description: 'What to do when a run is due while the last one still runs.', enum: ['Allow', 'Forbid', 'Replace'] },
    startingDeadlineSeconds: int('Seconds after a missed schedule during which the run may still start.'),
    suspend: bool('Whether scheduling is paused.'),
    successfulJobsHistoryLimit: int('How many finished jobs to keep.'),
    failedJobsHistoryLimit: int('How many failed jobs to keep.'),
  },
};

function workloadField(kind: string, path: Path): FieldInfo | undefined {
  const spec = WORKLOAD_SPECS[kind];
  if (!spec) return undefined;
  if (path.length === 0) return { type: 'object', properties: ROOT_FIELDS };
  if (path[0] !== 'spec') return undefined;
  let node: Node = obj(`The desired state of the ${kind}.`, spec, true);
  for (const seg of path.slice(1)) {
    const next: Node | undefined = typeof seg === 'string' ? node.children?.[seg] : undefined;
    if (!next) return undefined;
    node = next;
  }
  const info: FieldInfo = { type: node.type, description: node.description, required: node.required, enum: node.enum };
  if (node.children) {
    info.properties = Object.fromEntries(
      Object.entries(node.children).map(([k, c]) => [k, { type: c.type, description: c.description, required: c.required }]),
    );
  } else if (node === template) {
    info.properties = {
      metadata: { type: 'object', description: 'Labels and annotations of every pod.' },
      spec: { type: 'object', description: 'The pod spec: containers, volumes and the rest.', required: true },
    };
  }
  return info;
}
