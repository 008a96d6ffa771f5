// What the extension's modules get to reach the engine: a connected daemon client per host, and the one way
// command arguments (tree items, CodeLens arguments, plain objects from keybindings or other extensions) turn
// into pod references. Every reference carries a host ("local" for now) so remote hosts fit in later.
import type { DaemonClient } from '../../engine/client/daemon-client';

export interface PodRef {
  host: string;
  pod: string;
  container?: string;
}

export interface EngineAccess {
  /** A connected client for the host ("local" for now), starting the daemon on demand. */
  client(host?: string): Promise<DaemonClient>;
  /** Turns a command argument (a tree item or a plain { host?, pod, container? }) into a PodRef; undefined when it is neither. */
  refOf(arg: unknown): PodRef | undefined;
}

export const LOCAL_HOST = 'local';

/** Tree items (and anything else) that know which pod they stand for. */
export interface HasPodRef {
  readonly podRef: PodRef;
}

function isHasPodRef(arg: object): arg is HasPodRef {
  return 'podRef' in arg && typeof (arg as HasPodRef).podRef === 'object' && (arg as HasPodRef).podRef !== null;
}

/** `{ host?, pod, container? }` with string values, or an object carrying such a reference as `podRef`. */
export function refOf(arg: unknown): PodRef | undefined {
  if (typeof arg !== 'object' || arg === null) return undefined;
  const plain = isHasPodRef(arg) ? arg.podRef : (arg as Partial<Record<keyof PodRef, unknown>>);
  const { host, pod, container } = plain as Partial<Record<keyof PodRef, unknown>>;
  if (typeof pod !== 'string' || pod === '') return undefined;
  if (host !== undefined && (typeof host !== 'string' || host === '')) return undefined;
  if (container !== undefined && typeof container !== 'string') return undefined;
  return { host: (host as string | undefined) ?? LOCAL_HOST, pod, ...(container ? { container } : {}) };
}
