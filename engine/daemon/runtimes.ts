// Which PodRuntimes the daemon serves, behind one router: `pod-containers` (engine/pods/native) and `pod-wasm`
// (engine/pods/wasm). run_pod goes by the pod's runtimeClassName; other operations to the runtime holding the pod.
import { createNativeRuntime } from '../pods/native';
import type { PodRuntime } from '../pods/runtime';
import { routePods } from '../pods/router';
import { createWasmRuntime } from '../pods/wasm';

export interface DaemonRuntime {
  runtime: PodRuntime;
  runtimeClasses: string[];
  /** Stops the runtimes' in-process supervision (probes, restarts) when the daemon stops; pods keep running. */
  close?(): Promise<void>;
}

export async function createDaemonRuntime(home: string): Promise<DaemonRuntime> {
  const native = createNativeRuntime({ home });
  const wasm = createWasmRuntime({ home });
  return {
    runtime: routePods([
      { classes: ['pod-containers'], runtime: native },
      { classes: ['pod-wasm'], runtime: wasm },
    ]),
    runtimeClasses: ['pod-containers', 'pod-wasm'],
    close: async () => {
      await Promise.all([native.close(), wasm.close()]);
    },
  };
}
