// pod.json of a microVM pod: the host's side of the pod (one writer: the runtime instance holding the pod's
// lock). The agent's side is status.json on the out share (state.ts reads it).
import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import type { PodObject } from '../native/pod-spec';
import type { ContainerKind, PodLifecycle } from '../native/state';
import { microvmPodsDir, VmPodPaths } from './paths';

export interface ProcessRef {
  pid: number;
  /** /proc start time: tells a recycled pid from the recorded process. */
  startTime?: string;
}

export interface VmRecord extends ProcessRef {
  accel: 'kvm' | 'tcg';
  vcpus: number;
  memoryMiB: number;
  /** The guest kernel (`uname -r`). */
  kernel: string;
  /** The OCI runtime inside the guest (crun or runc), as the agent said. */
  ociRuntime?: 'crun' | 'runc';
  /** The template this VM was cloned from (template.ts); none: it booted. */
  template?: string;
  /** The guest's boot id, its own even when cloned. */
  bootId?: string;
}

export interface VmContainerRecord {
  name: string;
  kind: ContainerKind;
  image: string;
  imageID?: string;
}

export interface VmPodRecord {
  version: 1;
  uid: string;
  name: string;
  namespace: string;
  createdAt: string;
  lifecycle: PodLifecycle;
  hostname: string;
  fileName?: string;
  pod: PodObject;
  containers: VmContainerRecord[];
  network: 'dhcp' | 'none';
  vm?: VmRecord;
  passt?: ProcessRef;
  /** Set when the VM ended without being asked (crash, panic, unresponsive guest): the pod is Failed. */
  vmDied?: { reason: string; message: string; at: string };
  /** Set before an evicted pod's VM is killed (evict.ts): a daemon killed midway records the eviction. */
  evicting?: { message: string };
  reason?: string;
  message?: string;
  warnings: string[];
}

export async function readVmPod(home: string, uid: string): Promise<VmPodRecord | undefined> {
  try {
    return JSON.parse(await readFile(new VmPodPaths(home, uid).podFile, 'utf8')) as VmPodRecord;
  } catch {
    return undefined;
  }
}

export async function writeVmPod(home: string, record: VmPodRecord): Promise<void> {
  const file = new VmPodPaths(home, record.uid).podFile;
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify(record, null, 1) + '\n', { mode: 0o600 });
  await rename(temp, file);
}

export async function listVmPodUids(home: string): Promise<string[]> {
  try {
    return (await readdir(microvmPodsDir(home), { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return [];
  }
}
