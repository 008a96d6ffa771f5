// The kubelet's crash-loop back-off: the first restart is immediate, the next waits 10 s after the exit,
// then 20 s, 40 s, ... up to 5 minutes; a container whose exits are more than 10 minutes apart starts over.
export const BACKOFF_INITIAL_SECONDS = 10;
export const BACKOFF_MAX_SECONDS = 300;
/** Two exits further apart than twice the maximum reset the back-off (kubelet's hasExpired). */
export const BACKOFF_RESET_SECONDS = 2 * BACKOFF_MAX_SECONDS;

export interface BackoffState {
  /** Delay for the next exit, seconds. */
  next: number;
  /** Time of the exit that last set `next`. */
  lastExit: string;
}

export function restartDelay(state: BackoffState | undefined, exitedAt: Date): { delaySeconds: number; state: BackoffState } {
  const lastExit = exitedAt.toISOString();
  const expired = !state || exitedAt.getTime() - Date.parse(state.lastExit) > BACKOFF_RESET_SECONDS * 1000;
  if (expired) return { delaySeconds: 0, state: { next: BACKOFF_INITIAL_SECONDS, lastExit } };
  return { delaySeconds: state.next, state: { next: Math.min(state.next * 2, BACKOFF_MAX_SECONDS), lastExit } };
}

/** What a container's record holds of its back-off (both runtimes' records have these fields). */
export interface BackoffHolder {
  state: import('../types').ContainerState;
  lastState: import('../types').ContainerState;
  backoff?: { seconds: number; until: string };
  backoffState?: BackoffState;
}

/**
 * A container that could not even start (kubelet's StartError): terminated with 128, then CrashLoopBackOff
 * for at least the initial delay, so a broken start never spins. Returns the wait before the next try, in s.
 */
export function backOffAfterStartError(c: BackoffHolder, message: string, podLabel: string, containerName: string, now = new Date()): number {
  c.state = { terminated: { exitCode: 128, reason: 'StartError', message, finishedAt: now.toISOString() } };
  const { delaySeconds, state } = restartDelay(c.backoffState, now);
  c.backoffState = state;
  c.lastState = structuredClone(c.state);
  const wait = Math.max(delaySeconds, BACKOFF_INITIAL_SECONDS);
  c.backoff = { seconds: wait, until: new Date(now.getTime() + wait * 1000).toISOString() };
  c.state = { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${wait}s restarting failed container=${containerName} pod=${podLabel}` } };
  return wait;
}
