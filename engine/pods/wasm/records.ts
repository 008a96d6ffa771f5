// The two files a wasm pod is made of, each with one writer at a time so neither needs a lock across
// processes: pod.json (the daemon side: spec, plans, lifecycle, supervisor pid) and status.json (the supervisor:
// container states; a runtime instance writes it only after the supervisor is verifiably dead). Both are
// written whole to a temporary file and renamed, so a reader never sees half a file.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import type { WasmPreopen } from '../../image/bundle';
import type { RotationPolicy } from '../../logs';
import type { BackoffState } from '../native/backoff';
import type { PodObject } from '../native/pod-spec';
import type { ContainerKind, PodLifecycle } from '../native/state';
import type { ContainerState, PodCondition } from '../types';
import { WasmPodPaths, wasmPodsDir } from './paths';

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

async function writeJson(path: string, value: unknown): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify(value, null, 1) + '\n', { mode: 0o600 });
  await rename(temp, path);
}

/** Synchronous twin for the supervisor: one event-loop turn, so saves cannot interleave. */
export function writeJsonSync(path: string, value: unknown): void {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(value, null, 1) + '\n', { mode: 0o600 });
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

export function writeWasmPod(home: string, record: WasmPodRecord): Promise<void> {
  return writeJson(new WasmPodPaths(home, record.uid).podFile, record);
}

export function readSupervisorState(home: string, uid: string): Promise<SupervisorState | undefined> {
  return readJson<SupervisorState>(new WasmPodPaths(home, uid).statusFile);
}

export function writeSupervisorState(home: string, state: SupervisorState): Promise<void> {
  return writeJson(new WasmPodPaths(home, state.uid).statusFile, state);
}

/** Uids of every wasm pod directory. */
export async function listWasmPodUids(home: string): Promise<string[]> {
  try {
    return (await readdir(wasmPodsDir(home), { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return [];
  }
}
