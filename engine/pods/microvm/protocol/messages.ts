// Every message between the host and the guest agent, declared once: both ends import these types (the agent
// is bundled from the same sources). Requests go host → guest on stream 0 and get one Response each; events
// go guest → host. Exec streams use three stream ids from the one the host picks (a multiple of 4): +0 stdin
// (host → guest), +1 stdout, +2 stderr (guest → host). A port dial (port-forward) uses two from the same
// counter: +0 the client's bytes (host → guest), +1 the pod port's bytes (guest → host).
//
// What the guest says is not trusted by the host: a guest is a VM whose kernel a container may own. The host
// checks every field it uses (state.ts checks the status file; the channel checks responses and events).
import type { RotationPolicy } from '../../../logs/rotate';
import type { PodObject } from '../../native/pod-spec';
import type { ContainerKind } from '../../native/state';
import type { BackoffState } from '../../native/backoff';
import type { ContainerState } from '../../types';

export const PROTOCOL_VERSION = 1;

export interface HelloPayload {
  version: number;
  /** Random, per host session: the Welcome that echoes it starts the session. */
  nonce: string;
  /** The host's clock (ms since the epoch): the guest sets its own when it is off by more than a second. */
  time: number;
}

export interface WelcomePayload {
  version: number;
  nonce: string;
  /** The guest's boot id: a changed one means the VM was replaced. */
  bootId: string;
  /** The agent's uptime and the guest kernel (`uname -r`). */
  uptimeMs: number;
  kernel: string;
  /** The OCI runtime the agent runs containers with (crun or runc). */
  ociRuntime: string;
}

/** One container as the agent runs it: its OCI bundle and rootfs on the pod share, and its part in the pod. */
export interface GuestContainerPlan {
  name: string;
  kind: ContainerKind;
  /** Directory of the container's config.json on the pod share (relative). */
  bundle: string;
  /** The image's root filesystem on the pod share (relative): the read-only lower layer of its overlay. */
  rootfs: string;
  stopSignal: string;
  /** Memory limit in bytes (for telling an OOM kill); the config's cgroup enforces it. */
  memoryBytes?: number;
  /**
   * subPath mounts into memory-backed emptyDirs: at every start the agent opens `subPath` inside the volume's
   * tmpfs without following symlinks and bind-mounts it at guestSubPath(name, index), which the config names.
   */
  memorySubPaths?: { index: number; volume: string; subPath: string }[];
}

export interface GuestPodPlan {
  uid: string;
  name: string;
  namespace: string;
  hostname: string;
  /** The admitted pod: restart policy, grace period, probes and hooks are read from it. */
  pod: PodObject;
  containers: GuestContainerPlan[];
  /** `dhcp`: eth0 is configured from passt's DHCP server; `none`: loopback only. */
  network: 'dhcp' | 'none';
  /** 9p mount tags: the pod's read-only inputs, and the read-write share for logs, state and disk emptyDirs. */
  shares: { pod: string; out: string };
  /** emptyDir volumes with medium Memory: a tmpfs of this size each, mounted at the path their bundles name. */
  memoryVolumes: { name: string; bytes: number }[];
  logRotation?: RotationPolicy;
}

export type GuestPhase = 'starting' | 'initializing' | 'running' | 'stopping' | 'stopped' | 'failed';

export interface GuestContainerStatus {
  name: string;
  kind: ContainerKind;
  restartCount: number;
  /** Id of the live instance. */
  instance?: string;
  lastId?: string;
  state: ContainerState;
  lastState: ContainerState;
  ready: boolean;
  started: boolean;
  backoff?: { seconds: number; until: string };
  backoffState?: BackoffState;
}

export interface GuestFailure {
  code: 'START_FAILED' | 'INIT_FAILED';
  message: string;
  container?: string;
  reason?: string;
  exitCode?: number;
  lastLines?: string[];
}

/** The agent's view of the pod, written to `status.json` on the out share after every change. */
export interface GuestState {
  version: 1;
  uid: string;
  /** Increases with every write. */
  seq: number;
  phase: GuestPhase;
  failure?: GuestFailure;
  reason?: string;
  message?: string;
  startTime?: string;
  podIPs?: string[];
  containers: GuestContainerStatus[];
  updatedAt: string;
}

export interface ExecStartParams {
  stream: number;
  container: string;
  command: string[];
  tty: boolean;
  stdin: boolean;
  columns?: number;
  rows?: number;
}

/**
 * A TCP connection from the agent to `port` on the guest's loopback (the pod's containers share the guest's
 * network namespace). Answered once connected; then the bytes flow on `stream` and `stream + 1`.
 */
export interface PortDialParams {
  stream: number;
  port: number;
}

/** Error code of a port.dial that found nothing listening (ECONNREFUSED on 127.0.0.1 and ::1). */
export const DIAL_REFUSED = 'REFUSED';

/** Request methods: params and result of each. */
export interface Methods {
  'pod.start': { params: { plan: GuestPodPlan }; result: { state: GuestState } };
  'pod.stop': { params: { gracePeriodSeconds: number }; result: { state: GuestState } };
  'pod.state': { params: Record<string, never>; result: { state: GuestState } };
  'exec.start': { params: ExecStartParams; result: Record<string, never> };
  'exec.resize': { params: { stream: number; columns: number; rows: number }; result: Record<string, never> };
  'exec.kill': { params: { stream: number }; result: Record<string, never> };
  'port.dial': { params: PortDialParams; result: Record<string, never> };
  /** The VM is about to be saved as a template: the agent listens for the next host closely and holds no session. */
  'guest.freeze': { params: Record<string, never>; result: Record<string, never> };
  /**
   * First call to a clone restored from a template: fresh entropy mixed in and the kernel's RNG reseeded (so
   * clones never share it), the wall clock set (a clone wakes with the template's). Returns the clone's own
   * boot id, which the kernel makes only now.
   */
  'guest.thaw': { params: { epochMs: number; seed: string }; result: { bootId: string } };
  /** Flush the shares and power the VM off (after pod.stop). */
  'guest.poweroff': { params: Record<string, never>; result: Record<string, never> };
}

export type Method = keyof Methods;

export interface RequestMessage<M extends Method = Method> {
  id: number;
  method: M;
  params: Methods[M]['params'];
}

export interface ResponseMessage {
  id: number;
  result?: unknown;
  error?: { message: string; code?: string; container?: string; failure?: GuestFailure };
}

export type EventMessage =
  | { event: 'exec.exit'; stream: number; exitCode: number }
  | { event: 'state'; seq: number; phase: GuestPhase }
  | { event: 'occurrence'; container?: string; severity: 'Normal' | 'Warning'; reason: string; message: string };
