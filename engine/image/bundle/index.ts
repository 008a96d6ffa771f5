// The bundle builder: image config + Kubernetes container → OCI runtime config.json, and WebAssembly detection.

export { buildBundleConfig } from './build';
export { writeBundle } from './write';
export { detectWasm, buildWasmInvocation, WASM_LAYER_MEDIA_TYPES } from './wasm';
export type { WasmArtifact, WasmInvocation, WasmInvocationInput, WasmPreopen } from './wasm';
export { validateRuntimeSpec } from './oci-spec';
export type { RuntimeSpec, OciProcess, OciMount, OciNamespace, OciResources, OciUser, OciRlimit, OciSeccomp } from './oci-spec';
export { containerSeccomp, seccompSettingOf } from './seccomp';
export type { SeccompSetting, SeccompInput } from './seccomp';
export { RUNTIME_DEFAULT_PROFILE } from './seccomp-default';
export { checkSeccompProfile, resolveSeccompProfile, toSeccompProfile } from './seccomp-profile';
export type { SeccompProfile, SeccompRule, SeccompCondition, SeccompHost } from './seccomp-profile';
export { readLocalhostProfile, seccompDir, MAX_SECCOMP_PROFILE_BYTES } from './seccomp-localhost';
export { expand, lookupIn } from './expansion';
export type { Lookup } from './expansion';
export { kubeletEnv, mergeEnv, podHostname, isEnvVarName, DEFAULT_PATH } from './env';
export { expandCommand, rawArgv, resolveArgv, resolveWorkingDir } from './command';
export { resolveUser, parsePasswd, parseGroup } from './user';
export type { ResolvedUser, PasswdEntry, GroupEntry } from './user';
export {
  adjustCapabilities,
  capabilitiesFromMask,
  normalizeCapability,
  DEFAULT_CAPABILITIES,
  ALL_CAPABILITIES,
} from './capabilities';
export { resolveRlimits, parseProcLimits, DEFAULT_RLIMITS } from './rlimits';
export { linuxResources, milliCpuToShares, milliCpuToQuota } from './resources';
export { fieldRefValue, resourceFieldRefValue } from './field-ref';
export { buildMounts, standardMounts } from './mounts';
export { buildNamespaces } from './namespaces';
export { reportPorts, stopSignal } from './ports';
export { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS } from './masked-paths';
export * from './types';
