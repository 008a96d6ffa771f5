// The files a wasm pod is made of, each with one writer so none needs a lock across processes: pod.json (the
// daemon: spec, plans, lifecycle, sandbox, supervisor pid), status.json (the supervisor, in its sandbox:
// container states) and final.json (the daemon, only once the supervisor is verifiably dead: the state it
// could not record itself; it wins over status.json). All are written whole to a temporary file and renamed,
// so a reader never sees half a file. status.json is untrusted: read without following a link, bounded, and
// checked (status-check.ts); the daemon never writes into the sandbox's directory.
import { constants, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { open, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import type { WasmPreopen } from '../../image/bundle';
import type { RotationPolicy } from '../../logs';
import type { BackoffState } from '../native/backoff';
import type { PodObject } from '../native/pod-spec';
import type { ContainerKind, PodLifecycle } from '../native/state';
import type { ContainerState, PodCondition } from '../types';
import { WasmPodPaths, wasmPodsDir } from './paths';
import type { SandboxRecord } from './sandbox';
import { MAX_STATUS_BYTES, parseSupervisorState } from './status-check';
import { initialContainers, refreshStateConditions } from './status';

export type Metering = 'fuel' | 'cpu-time';

/** How one container runs: decided at run_pod, read by the supervisor. */
export interface ContainerPlan {
  name: string;
  kind: ContainerKind;
  image: string;
  imageID: string;
  /** The module file the supervisor loads (the metered rewrite when metering is `fuel`). */
  module: string;
  /** Digest of the module as the image holds it. */
  moduleDigest: string;
  argv: string[];
  env: Record<string, string>;
  preopens: WasmPreopen[];
  /** Linear memory cap in 64 KiB pages (resources.limits.memory; 65,536 without a limit). */
  memoryLimitPages: number;
  memoryLimitBytes?: number;
  /** Instruction budget of each instance (metering `fuel`). */
  fuel: number;
  metering: Metering;
  /** CPU seconds of each instance when the module could not be metered. */
  cpuSeconds?: number;
  /** Why the module could not be metered. */
  meteringNote?: string;
  /** The container's directory holding an unpacked image (entrypoint modules). */
  rootfsDir?: string;
}

export interface SupervisorRef {
  pid: number;
  /** /proc start time: tells a recycled pid from the supervisor. */
  startTime?: string;
}

export interface WasmPodRecord {
  version: 1;
  uid: string;
  name: string;
  namespace: string;
  createdAt: string;
  lifecycle: PodLifecycle;
  hostname: string;
  fileName?: string;
  pod: PodObject;
  plans: ContainerPlan[];
  /** Log rotation the supervisor applies (engine/logs' default when absent). */
  logRotation?: RotationPolicy;
  /** The pod's sandbox (sandbox.ts), recorded before it is given the pod. */
  sandbox?: SandboxRecord;
  /** The supervisor's process on the host (the sandbox's init). */
  supervisor?: SupervisorRef;
  /** Set when a stop was requested (stop_pod, delete_pod). */
  reason?: string;
  message?: string;
  warnings: string[];
}

export interface WasmContainerRecord {
  name: string;
  kind: ContainerKind;
  image: string;
  imageID?: string;
  restartCount: number;
  /** Id of the live instance (`<uid prefix>-<name>-<restartCount>`). */
  instance?: string;
  lastId?: string;
  state: ContainerState;
  lastState: ContainerState;
  ready: boolean;
  started: boolean;
  backoff?: { seconds: number; until: string };
  backoffState?: BackoffState;
  /** Fuel left at the last exit (metered modules). */
  fuelLeft?: string;
}

export type SupervisorPhase = 'starting' | 'initializing' | 'running' | 'stopping' | 'stopped' | 'failed';

export interface SupervisorState {
  version: 1;
  uid: string;
  /** As the daemon reads it: pod.json's (the supervisor writes its pid inside the sandbox). */
  supervisor: SupervisorRef;
  phase: SupervisorPhase;
  /** Why run_pod must fail (the supervisor leaves right after writing it). */
  failure?: { code: 'START_FAILED' | 'INIT_FAILED' | 'LIMIT'; message: string; container?: string };
  reason?: string;
  message?: string;
  startTime?: string;
  containers: WasmContainerRecord[];
  conditions: PodCondition[];
  /** Compile and instantiate times of each module, milliseconds (for describe and the bench). */
  timings?: Record<string, { compileMs: number; instantiateMs: number }>;
  updatedAt: string;
}

function readJson<T>(path: string): Promise<T | undefined> {
  return readFile(path, 'utf8').then(
    (t) => JSON.parse(t) as T,
    () => undefined,
  );
}

async function writeJson(path: string, value: unknown, mode = 0o600): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify(value, null, 1) + '\n', { mode });
  await rename(temp, path);
}

/** Synchronous twin for the supervisor: one event-loop turn, so saves cannot interleave. */
export function writeJsonSync(path: string, value: unknown, mode = 0o600): void {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(value, null, 1) + '\n', { mode });
  renameSync(temp, path);
}

export function readJsonSync<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export function readWasmPod(home: string, uid: string): Promise<WasmPodRecord | undefined> {
  return readJson<WasmPodRecord>(new WasmPodPaths(home, uid).podFile);
}

/** Writes pod.json: readable by the sandbox's id, which reads it through its read-only bind (the parent directory, 0700, keeps it from everyone else). */
export function writeWasmPod(home: string, record: WasmPodRecord): Promise<void> {
  return writeJson(new WasmPodPaths(home, record.uid).podFile, record, 0o644);
}

/** status.json's text: not through a link, not a FIFO, at most MAX_STATUS_BYTES; undefined when absent. */
async function readStatusText(path: string): Promise<{ text: string } | { problem: string } | undefined> {
  let fh;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') return { problem: 'it is a symbolic link' };
    throw err;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) return { problem: 'it is not a regular file' };
    const buf = Buffer.alloc(Math.min(st.size, MAX_STATUS_BYTES) + 1);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return { text: buf.subarray(0, bytesRead).toString('utf8') };
  } finally {
    await fh.close();
  }
}

/** What a status.json the daemon cannot use amounts to: the pod failed, and says why. */
function invalidState(pod: WasmPodRecord, problem: string): SupervisorState {
  const now = new Date().toISOString();
  const message = `the supervisor wrote a status.json the runtime cannot use (${problem}); the pod's state is unknown`;
  const state: SupervisorState = {
    version: 1,
    uid: pod.uid,
    supervisor: pod.supervisor ?? { pid: 0 },
    phase: 'failed',
    failure: { code: 'START_FAILED', message },
    reason: 'InvalidStatus',
    message,
    containers: initialContainers(pod.pod, pod.plans).map((c) => ({ ...c, state: { terminated: { exitCode: 137, reason: 'ContainerStatusUnknown', message, finishedAt: now } } })),
    conditions: [],
    updatedAt: now,
  };
  refreshStateConditions(pod, state);
  return state;
}

/** The pod's state: final.json when the daemon wrote one, else the supervisor's status.json, checked. */
export async function readSupervisorState(home: string, pod: WasmPodRecord): Promise<SupervisorState | undefined> {
  const paths = new WasmPodPaths(home, pod.uid);
  const final = await readJson<SupervisorState>(paths.finalFile);
  if (final) return final;
  const read = await readStatusText(paths.statusFile);
  if (read === undefined) return undefined;
  const parsed = 'text' in read ? parseSupervisorState(read.text, pod) : read;
  return 'state' in parsed ? parsed.state : invalidState(pod, parsed.problem);
}

/** Records the pod's last state when its supervisor is gone (final.json, in the daemon's own directory). */
export function writeSupervisorState(home: string, state: SupervisorState): Promise<void> {
  return writeJson(new WasmPodPaths(home, state.uid).finalFile, state);
}

/** Uids of every wasm pod directory. */
export async function listWasmPodUids(home: string): Promise<string[]> {
  try {
    return (await readdir(wasmPodsDir(home), { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return [];
  }
}
