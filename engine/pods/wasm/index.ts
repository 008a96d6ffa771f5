// The `pod-wasm` runtime: Kubernetes-style pods whose containers are WebAssembly (WASI preview 1) modules,
// one supervisor process per pod (supervisor-main.ts) in a sandbox of its own (sandbox.ts: an unprivileged
// user namespace and its own mount namespace, under runc; started ahead as a warm spare, spare.ts, so a pod
// starts in tens of milliseconds), one worker thread per container running node:wasi,
// metered by instruction (metering.ts) and capped in linear memory. State lives under
// `$PODSMITH_HOME/wasm-pods/<uid>/` (paths.ts); logs are the same CRI files native containers write.
import type { PodRuntime } from '../runtime';
import type { PodEvent } from '../types';
import { WasmContext, type WasmRuntimeOptions } from './context';
import { deleteWasmPod } from './delete-pod';
import { execInWasmPod } from './exec';
import { wasmPodLogs } from './logs';
import { listWasmPods, wasmPodStatus } from './pod-status';
import { reconcileWasm } from './reconcile';
import { runWasmPod } from './run-pod';
import { stopWasmPod } from './stop-pod';

export type { WasmRuntimeOptions } from './context';
export { supervisorCommand, type SupervisorCommand, type SupervisorCommandOf } from './supervisor-command';
export { runWasmSupervisor } from './supervisor-main';
export { FUEL_ANNOTATION, DEFAULT_FUEL } from './admit';
export { MAX_MODULE_BYTES, MAX_MEMORY_PAGES } from './modules';
export { WasmPodPaths, wasmPodsDir } from './paths';
export { RUNTIME_CLASS as WASM_RUNTIME_CLASS } from './status';

export interface WasmRuntime extends PodRuntime {
  readonly home: string;
  /** Stops watching pods in this process and ends the idle spare supervisor; pods keep running under theirs. */
  close(): Promise<void>;
  /** The idle spare supervisor, if one is up (spare.ts): its pid on the host, its log, its sandbox's id. */
  spareSupervisor(): { pid: number; log: string; id: string } | undefined;
}

export function createWasmRuntime(options: WasmRuntimeOptions): WasmRuntime {
  const ctx = new WasmContext(options);
  // Started now, so the first pod finds it booted too.
  ctx.sandboxes.warm();
  return {
    home: ctx.home,
    runPod: (req, onEvent) => runWasmPod(ctx, req, onEvent),
    stopPod: (req) => stopWasmPod(ctx, req),
    deletePod: (req) => deleteWasmPod(ctx, req),
    podStatus: (pod) => wasmPodStatus(ctx, pod),
    listPods: () => listWasmPods(ctx),
    exec: (req) => execInWasmPod(ctx, req),
    logs: (req, signal) => wasmPodLogs(ctx, req, signal),
    reconcile: () => reconcileWasm(ctx),
    watch(listener: (e: PodEvent) => void) {
      ctx.listeners.add(listener);
      return () => void ctx.listeners.delete(listener);
    },
    async close() {
      await ctx.close();
    },
    spareSupervisor: () => ctx.sandboxes.idle,
  };
}
