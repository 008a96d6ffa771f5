// The OCI runtime layer: which runtime works here, containers under conmon, exit files, cgroups, the pause
// container. engine/pods/native builds pods on top of it.
export { RuntimeError, type RuntimeErrorCode } from './errors';
export { OciRuntime, type OciRuntimeInfo, type OciRuntimeName, type OciState, type ExecArgsOptions } from './oci-runtime';
export { detectOciRuntimes, selectOciRuntime, checkOciRuntime, runtimeFor, RUNTIME_PREFERENCE, type RuntimeVerdict } from './detect-runtime';
export { createUnderConmon, findConmon, type ConmonCreateOptions, type ConmonCreated } from './conmon';
export { readExitCode, waitForExitFile, type ExitResult, type WaitExitOptions } from './exit-files';
export {
  applyPodLimits,
  cgroupMode,
  cgroupMounts,
  cgroupPids,
  containerCgroupPath,
  listPodCgroups,
  oomKillCount,
  podCgroupPath,
  removeCgroupTree,
  CGROUP_ROOT_NAME,
  type CgroupMode,
  type CgroupMount,
  type PodLimits,
} from './cgroups';
export { ensurePauseRootfs, findCatatonit, pauseBundleInput, PAUSE_CONTAINER_NAME, PAUSE_USER } from './pause';
export { directPauseUnavailable, markDirectPauseUnavailable, prepareDirectPauseCgroup, startDirectPause, type DirectPause } from './pause-direct';
export { isAlive, procStat, readCmdline, signalProcess, waitGone, listPids, type ProcStat } from './processes';
export { hostFacts, type HostFacts } from './host-facts';
export { findExecutable } from './executables';
export { runCommand, runtimeMessage, type CommandResult, type CommandOptions } from './run-command';
