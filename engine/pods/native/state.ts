// The pod record kept in pod.json: the admitted spec plus what the runtime knows about each container. It
// is the only state: a new runtime instance (daemon restart) reads it back and reconciles it with conmon's
// exit files and the OCI runtime's state. Writes are atomic (temporary file + rename).
import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import type { OciRuntimeInfo } from '../../runtime';
import type { ContainerState, PodCondition } from '../types';
import { PodPaths, podsDir } from './paths';
import { lookupName, splitPodRef } from './pod-names';
import type { BackoffState } from './backoff';
import type { PodObject } from './pod-spec';

export { claimName, releaseName } from './pod-names';

export type ContainerKind = 'init' | 'sidecar' | 'app';

/** Where the pod is in its life, as the runtime sees it (the Kubernetes phase is computed from this). */
export type PodLifecycle = 'creating' | 'running' | 'stopping' | 'stopped' | 'deleting';

export interface ProcessRecord {
  /** OCI container id of the current instance. */
  id: string;
  /** conmon's `-u`: names the attach socket directory. */
  socketId: string;
  pid: number;
  /** Start time of `pid` (absent in records written before it was kept): a reused pid is not this process. */
  startTime?: string;
  conmonPid: number;
  conmonStartTime?: string;
}

/** A pause started directly (engine/runtime/pause-direct.ts): no conmon, no OCI runtime state. */
export interface DirectPauseRecord {
  /** The name its cgroup has below the pod's (what the runtime pause's OCI id would be). */
  id: string;
  pid: number;
  startTime: string;
  direct: true;
}

/** The pod's pause: a container under conmon (older records, hosts without the direct pause) or direct. */
export type PauseRecord = ProcessRecord | DirectPauseRecord;

export function isDirectPause(p: PauseRecord | undefined): p is DirectPauseRecord {
  return !!p && (p as DirectPauseRecord).direct === true;
}

export interface ContainerRecord {
  name: string;
  kind: ContainerKind;
  /** The image as written in the manifest. */
  image: string;
  /** Manifest digest the container runs (`imageID`). */
  imageID?: string;
  restartCount: number;
  /** The live (or last) instance; absent before the first start and after its exit was collected. */
  process?: ProcessRecord;
  /** OCI id of the last instance whose end was collected (status keeps showing it). */
  lastId?: string;
  state: ContainerState;
  lastState: ContainerState;
  ready: boolean;
  started: boolean;
  /** Next start time and current delay while in CrashLoopBackOff. */
  backoff?: { seconds: number; until: string };
  /** The back-off schedule across exits (backoff.ts). */
  backoffState?: BackoffState;
  stopSignal: string;
}

export interface PodRecord {
  version: 1;
  uid: string;
  name: string;
  namespace: string;
  createdAt: string;
  startTime?: string;
  lifecycle: PodLifecycle;
  ociRuntime: OciRuntimeInfo;
  hostname: string;
  /** The pod's address: the host's, which pasta copies into the pod (or a hostNetwork pod shares). */
  podIP?: string;
  /** Every address of the pod, IPv4 first (podIP is the first). */
  podIPs?: string[];
  fileName?: string;
  pod: PodObject;
  pause?: PauseRecord;
  containers: ContainerRecord[];
  conditions: PodCondition[];
  /**
   * A stop or delete under way (terminate.ts): when SIGKILL is due (Kubernetes' deletionTimestamp), the grace
   * period that set it, and whether the pod goes once stopped. A restarted daemon resumes it from here.
   */
  deletion?: { timestamp: string; gracePeriodSeconds: number; delete: boolean };
  /** Pod-level reason and message (Stopped, SandboxDied, ...). */
  reason?: string;
  message?: string;
  warnings: string[];
}

export async function readPod(home: string, uid: string): Promise<PodRecord | undefined> {
  try {
    return JSON.parse(await readFile(new PodPaths(home, uid).podFile, 'utf8')) as PodRecord;
  } catch {
    return undefined;
  }
}

let tempCounter = 0;

export async function writePod(home: string, record: PodRecord): Promise<void> {
  const file = new PodPaths(home, record.uid).podFile;
  // Unique per write: two saves of one pod may overlap (a termination being shortened while it runs).
  const temp = `${file}.${process.pid}.${(tempCounter = (tempCounter + 1) % 1e9)}.tmp`;
  await writeFile(temp, JSON.stringify(record, null, 1) + '\n', { mode: 0o600 });
  await rename(temp, file);
}

/** Uids of every pod directory (with or without a readable pod.json). */
export async function listPodUids(home: string): Promise<string[]> {
  try {
    return (await readdir(podsDir(home), { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return [];
  }
}

/** The uid of a pod given as uid, `name` (namespace default) or `namespace/name`. */
export async function resolvePodRef(home: string, ref: string): Promise<string | undefined> {
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(ref) && (await readPod(home, ref))) return ref;
  const { namespace, name } = splitPodRef(ref);
  const uid = await lookupName(home, namespace, name);
  return uid && (await readPod(home, uid)) ? uid : undefined;
}
