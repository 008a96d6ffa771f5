// Every pod-level check, in one call: the engine's security limits, semantic rules (references between
// containers, volumes and ports) and what the chosen runtime class cannot honour. Report paths are relative
// to the pod object; lint.ts prefixes the template path for workloads.
import { checkLimits } from '../../limits/index';
import { field, objField } from '../../limits/pod-walk';
import { isMicrovm, resolveRuntimeClass } from '../../limits/runtime-classes';
import type { ManifestDocument } from '../documents';
import type { Report } from '../report';
import { checkContainers } from './containers';
import { checkEnv } from './env';
import { checkMicrovmRuntime } from './microvm';
import { checkPorts } from './ports';
import { checkResources } from './resources';
import { checkRuntimeClass } from './runtime-class';
import { checkVolumeModes } from './volume-modes';
import { checkVolumes } from './volumes';
import { checkWasm } from './wasm';

export interface PodCheckInput {
  /** The pod object (metadata + spec); for workloads the pod template. */
  pod: unknown;
  /** The document that holds it (kind tells Pod from a workload template). */
  document: ManifestDocument;
  /** Every document of the file, for ConfigMap/Secret lookups. */
  all: ManifestDocument[];
}

/** Semantic rules and security limits; report paths are relative to the pod object. */
export function checkPod(input: PodCheckInput): Report[] {
  const { pod } = input;
  const written = field(objField(pod, 'spec'), 'runtimeClassName');
  const rc = resolveRuntimeClass(written);
  // Messages name the class as the manifest wrote it, alias included.
  const rcName = typeof written === 'string' ? written : String(rc);
  return [
    ...checkLimits(pod),
    ...checkContainers(pod),
    ...checkVolumes(pod),
    ...checkVolumeModes(pod),
    ...checkPorts(pod),
    ...checkResources(pod),
    ...checkEnv(pod),
    ...checkRuntimeClass(pod),
    ...(rc === 'pod-wasm' ? checkWasm(pod, rcName) : []),
    ...(isMicrovm(rc) ? checkMicrovmRuntime(pod, rcName) : []),
  ];
}
