// The Pod Runtime Interface: what the daemon calls for every runtime class. `pod-containers` implements it
// first (engine/pods/native); `pod-wasm` and `pod-microvm-containers` implement the same interface later.
import type { Duplex, Readable, Writable } from 'node:stream';
import type { DeletePodRequest, PodEvent, PodStatus, RunPodRequest, StopPodRequest } from './types';

export interface ExecRequest {
  pod: string;
  /** Container name; the first app container when absent. */
  container?: string;
  command: string[];
  tty: boolean;
  stdin: boolean;
  /** Initial terminal size when tty. */
  size?: { columns: number; rows: number };
}

/** A running exec: streams plus resize and the exit code. */
export interface ExecSession {
  stdin?: Writable;
  stdout: Readable;
  /** Absent with a tty (stderr is merged into the terminal). */
  stderr?: Readable;
  resize(size: { columns: number; rows: number }): void;
  /** The command's exit code (128 + signal when killed). */
  exit: Promise<number>;
  /** Ends the command itself (not only its streams): a client that went away or pressed Ctrl-C. */
  kill?(): void;
}

export interface LogsRequest {
  pod: string;
  container?: string;
  follow?: boolean;
  /** Last N lines. */
  tail?: number;
  /** Only lines newer than this many seconds. */
  sinceSeconds?: number;
  timestamps?: boolean;
  /** The previous (terminated) instance of a restarted container. */
  previous?: boolean;
}

/**
 * A pod's network namespace as the runtime found it: a process in it (the pause process), that process's start
 * time (field 22 of /proc/PID/stat) and the namespace's inode. Whoever enters the namespace later checks that
 * both still hold, so a pid reused meanwhile never leads into another process's namespace.
 */
export interface PodNetnsRef {
  pid: number;
  startTime: string;
  netnsInode: number;
}

export interface PodRuntime {
  /** Atomic: resolves when every container is running; on failure nothing is left behind. */
  runPod(req: RunPodRequest, onEvent?: (e: PodEvent) => void): Promise<PodStatus>;
  stopPod(req: StopPodRequest): Promise<PodStatus>;
  deletePod(req: DeletePodRequest): Promise<void>;
  podStatus(pod: string): Promise<PodStatus>;
  listPods(): Promise<PodStatus[]>;
  /** The pod's own network namespace (port-forward); NOT_SUPPORTED where there is none. */
  podNetns?(pod: string): Promise<PodNetnsRef>;
  /**
   * A TCP connection to `port` on the pod's loopback, made by the runtime itself (port-forward into a pod that
   * has no network namespace on this host: a microVM's). Open when it resolves; a refused port rejects.
   */
  dial?(pod: string, port: number): Promise<Duplex>;
  exec(req: ExecRequest): Promise<ExecSession>;
  /** Log lines (CRI format decoded); with follow, the stream stays open until the signal aborts. */
  logs(req: LogsRequest, signal?: AbortSignal): Promise<Readable>;
  /** Re-reads state from disk and reconciles it with what really runs (after a daemon restart). */
  reconcile(): Promise<void>;
  /** Subscribes to pod and container state changes. Returns an unsubscribe function. */
  watch(listener: (e: PodEvent) => void): () => void;
}
