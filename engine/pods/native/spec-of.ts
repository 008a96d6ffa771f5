// Small lookups over a pod record's admitted spec.
import type { PodContainer } from './pod-spec';
import type { PodRecord } from './state';

const DEFAULT_GRACE_SECONDS = 30;
export const MAX_GRACE_SECONDS = 300;

export function specOf(record: PodRecord, name: string): PodContainer | undefined {
  return [...(record.pod.spec.initContainers ?? []), ...record.pod.spec.containers].find((c) => c.name === name);
}

/** The grace period to use: the request, else the pod's terminationGracePeriodSeconds, else 30; at most 300. */
export function graceSeconds(record: PodRecord, requested?: number): number {
  const g = requested ?? record.pod.spec.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
  return Math.min(Math.max(0, g), MAX_GRACE_SECONDS);
}
