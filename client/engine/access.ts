import type { DaemonClient } from '../../engine/client/daemon-client';
export interface PodRef { host: string; pod: string; container?: string }
export interface EngineAccess {
  /** A connected client for the host ("local" for now), starting the daemon on demand. */
  client(host?: string): Promise<DaemonClient>;
  /** Turns a command argument (a tree item or a plain { host?, pod, container? }) into a PodRef; undefined when it is neither. */
  refOf(arg: unknown): PodRef | undefined;
}
