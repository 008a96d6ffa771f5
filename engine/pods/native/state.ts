// The pod record kept in pod.json: the admitted spec plus what the runtime knows about each container. It
// is the only state: a new runtime instance (daemon restart) reads it back and reconciles it with conmon's
// exit files and the OCI runtime's state. Writes are atomic (temporary file + rename).
import { mkdir, readdir, readFile, readlink, rename, symlink, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { OciRuntimeInfo } from '../../runtime';
import type { ContainerState, PodCondition } from '../types';
import { nameLink, PodPaths, POD_ROOT_DIRS, podsDir } from './paths';
import type { BackoffState } from './backoff';
import type { PodObject } from './pod-spec';

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
  pause?: ProcessRecord;
  containers: ContainerRecord[];
  conditions: PodCondition[];
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

export async function writePod(home: string, record: PodRecord): Promise<void> {
  const file = new PodPaths(home, record.uid).podFile;
  const temp = `${file}.${process.pid}.tmp`;
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

/**
 * Claims `namespace/name` for `uid`. A link left by a pod whose directory is gone (a crash mid-delete) is
 * taken over; a live one makes this return the uid that holds the name.
 */
export async function claimName(home: string, namespace: string, name: string, uid: string): Promise<string | undefined> {
  const link = nameLink(home, namespace, name);
  await mkdir(dirname(link), { recursive: true, mode: 0o700 });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await symlink(uid, link);
      return undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = await readlink(link).catch(() => undefined);
    if (holder === undefined) continue;
    if (await readPod(home, holder)) return holder;
    // Held while its directory exists, in any runtime's folder (a pod being created has no record yet).
    for (const root of POD_ROOT_DIRS) if (await readdir(join(home, root, holder)).catch(() => undefined)) return holder;
    await unlink(link).catch(() => undefined);
  }
  throw new Error(`cannot claim the pod name ${namespace}/${name}`);
}

/** Releases the name if `uid` still holds it. */
export async function releaseName(home: string, namespace: string, name: string, uid: string): Promise<void> {
  const link = nameLink(home, namespace, name);
  if ((await readlink(link).catch(() => undefined)) === uid) await unlink(link).catch(() => undefined);
}

/** The uid of a pod given as uid, `name` (namespace default) or `namespace/name`. */
export async function resolvePodRef(home: string, ref: string): Promise<string | undefined> {
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(ref) && (await readPod(home, ref))) return ref;
  const slash = ref.indexOf('/');
  const [namespace, name] = slash < 0 ? ['default', ref] : [ref.slice(0, slash), ref.slice(slash + 1)];
  const uid = await readlink(nameLink(home, namespace, name)).catch(() => undefined);
  return uid && (await readPod(home, uid)) ? uid : undefined;
}
