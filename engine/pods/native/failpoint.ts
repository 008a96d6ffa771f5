// Crash points for the reliability tests: with PODSMITH_FAILPOINTS=name[,name] in the daemon's environment,
// the process SIGKILLs itself when it reaches one, exactly as a crash or `kill -9` there would. Unset (always,
// outside those tests) this is one environment lookup.
export type FailpointName =
  | 'run_pod:claimed'
  | 'run_pod:recorded'
  | 'run_pod:pause-started'
  | 'run_pod:app-launched'
  | 'run_pod:before-running'
  // microVM pods (engine/pods/microvm/run-pod.ts)
  | 'run_pod:prepared'
  | 'run_pod:template-booted'
  | 'run_pod:vm-started'
  | 'run_pod:agent-connected'
  | 'stop_pod:stopping'
  | 'stop_pod:apps-stopped'
  | 'delete_pod:deleting';

export function failpoint(name: FailpointName): void {
  const set = process.env.PODSMITH_FAILPOINTS;
  if (set && set.split(',').includes(name)) process.kill(process.pid, 'SIGKILL');
}
