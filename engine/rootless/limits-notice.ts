// The pod's resource limits a rootless engine cannot enforce (no delegated cgroup, cgroup-access.ts), said
// once per pod in plain words: the pod runs, and its status, `describe`, `run` and the editor show this.
import { cgroupAccess } from './cgroup-access';

interface LimitedContainer {
  name: string;
  resources?: { limits?: Record<string, string | number | undefined> };
}

export interface LimitedPod {
  spec: { containers: LimitedContainer[]; initContainers?: LimitedContainer[] };
}

/** The warning for `pod`, or undefined when its limits hold (root, a delegated cgroup) or it sets none. */
export function unenforcedLimitsWarning(pod: LimitedPod, podPidsLimit = 0, access = cgroupAccess()): string | undefined {
  if (access.mode !== 'none') return undefined;
  const items: string[] = [];
  for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) {
    for (const r of ['memory', 'cpu', 'ephemeral-storage'] as const) {
      const v = c.resources?.limits?.[r];
      if (v !== undefined && r !== 'ephemeral-storage') items.push(`${r} ${v} (${c.name})`);
    }
  }
  if (podPidsLimit > 0) items.push(`pids ${podPidsLimit} (the pod)`);
  if (items.length === 0) return undefined;
  return `limits not enforced (rootless, ${access.why}): ${items.join(', ')}; a container may use more, and none is OOMKilled`;
}
