// `podsmith doctor`: what this host has for running pods, whether it works, and how to install what is missing.
export { runDoctor, type DoctorOptions } from './run';
export { formatReport } from './format';
export type { CheckResult, CheckStatus, CheckGroup, DoctorReport } from './types';
export { parseCgroupMounts, cgroupLayout, cgroupsCheckFrom, REQUIRED_CONTROLLERS, type CgroupLayout, type CgroupMode } from './cgroups';
export { tryRuntime, trialProgram } from './runtime-trial';
