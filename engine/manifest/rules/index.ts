// PLACEHOLDER until the rules module lands: see the contract in the comments.
import type { Report } from '../report';
import type { ManifestDocument } from '../documents';

export interface PodCheckInput {
  /** The pod object (metadata + spec); for workloads the pod template. */
  pod: unknown;
  /** The document that holds it (kind tells Pod from a workload template). */
  document: ManifestDocument;
  /** Every document of the file, for ConfigMap/Secret lookups. */
  all: ManifestDocument[];
}

/** Semantic rules and security limits; report paths are relative to the pod object. */
export function checkPod(_input: PodCheckInput): Report[] {
  return [];
}
