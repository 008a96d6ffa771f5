// A daemon started on demand by a client leaves once nothing needs it: no client connected, no stream session
// open, and no pod it must supervise (a pod still running or starting needs it for restarts and probes; one
// that Succeeded or Failed does not). The next client starts a new one. A daemon started by hand with
// `podsmith daemon` never does this unless asked (--idle-exit).
import { parseDuration } from '../cli/format/duration';
import type { PodRuntime } from '../pods/runtime';

/** `--idle-exit`: a duration in milliseconds, or undefined for never ("0", "never", "off" or absent). */
export function parseIdleExit(text: string | undefined): number | undefined {
  if (text === undefined || ['0', 'never', 'off'].includes(text.trim())) return undefined;
  const seconds = parseDuration(text.trim());
  if (seconds === undefined) throw new Error(`--idle-exit takes a duration like 30s or 5m (or never), not "${text}"`);
  return seconds > 0 ? seconds * 1000 : undefined;
}

export interface IdleWatchOptions {
  idleMs: number;
  /** Connections and sessions open right now. */
  openConnections(): number;
  runtime: PodRuntime;
  onIdle(idleMs: number): void;
}

export interface IdleWatch {
  /** Something happened (a connection closed): the idle time counts from now. */
  touch(): void;
  stop(): void;
}

/** Whether any pod still needs a daemon (restarts, probes, a start under way); unknown counts as yes. */
export async function podsNeedDaemon(runtime: PodRuntime): Promise<boolean> {
  try {
    return (await runtime.listPods()).some((p) => p.phase !== 'Succeeded' && p.phase !== 'Failed');
  } catch {
    return true;
  }
}

export function watchIdle(o: IdleWatchOptions): IdleWatch {
  let lastBusy = Date.now();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  // Checks often enough that the exit comes at most half the idle time late (and at least every 15 s).
  const period = Math.max(50, Math.min(o.idleMs / 2, 15_000));
  const tick = async (): Promise<void> => {
    if (stopped) return;
    // Connections counted again after the pod check: a client may have connected while it ran.
    if (o.openConnections() > 0 || (await podsNeedDaemon(o.runtime)) || o.openConnections() > 0) lastBusy = Date.now();
    else if (Date.now() - lastBusy >= o.idleMs) {
      stopped = true;
      o.onIdle(Date.now() - lastBusy);
      return;
    }
    if (!stopped) {
      timer = setTimeout(() => void tick(), period);
      timer.unref();
    }
  };
  timer = setTimeout(() => void tick(), period);
  timer.unref();
  return {
    touch: () => void (lastBusy = Date.now()),
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
