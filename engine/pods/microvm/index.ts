// The `pod-microvm-containers` runtime (alias `pod-microvm`): each pod in a QEMU microVM of its own, its
// containers run by the guest agent (agent/) with runc inside the guest, behind the guest kernel's boundary.
// State lives under `$PODSMITH_HOME/microvm-pods/<uid>/` (paths.ts); logs are the same CRI files native
// containers write; the guest image (kernel, initramfs, tools) is built and cached by guest/.
import type { PodRuntime } from '../runtime';
import type { PodEvent } from '../types';
import { VmContext, type MicrovmRuntimeOptions } from './context';
import { deleteVmPod } from './delete-pod';
import { dialVmPod } from './dial';
import { execInVmPod } from './exec';
import { vmPodLogs } from './logs';
import { listVmPods, vmPodStatus } from './pod-status';
import { reconcileVm } from './reconcile';
import { runVmPod } from './run-pod';
import { stopVmPod } from './stop-pod';

export type { MicrovmRuntimeOptions } from './context';
export { MICROVM_RUNTIME_CLASS, VmPodPaths, microvmPodsDir } from './paths';
export { TCG_NOTE } from './status';
export { vmProcessName } from './launch';

export interface MicrovmRuntime extends PodRuntime {
  readonly home: string;
  /** Stops watching pods and closes the agents' channels in this process; the VMs keep running. */
  close(): Promise<void>;
}

export function createMicrovmRuntime(options: MicrovmRuntimeOptions): MicrovmRuntime {
  const ctx = new VmContext(options);
  return {
    home: ctx.home,
    runPod: (req, onEvent) => runVmPod(ctx, req, onEvent),
    stopPod: (req) => stopVmPod(ctx, req),
    deletePod: (req) => deleteVmPod(ctx, req),
    podStatus: (pod) => vmPodStatus(ctx, pod),
    listPods: () => listVmPods(ctx),
    exec: (req) => execInVmPod(ctx, req),
    dial: (pod, port) => dialVmPod(ctx, pod, port),
    logs: (req, signal) => vmPodLogs(ctx, req, signal),
    reconcile: () => reconcileVm(ctx),
    watch(listener: (e: PodEvent) => void) {
      ctx.listeners.add(listener);
      return () => void ctx.listeners.delete(listener);
    },
    close: () => ctx.close(),
  };
}
