// Which PodRuntimes the daemon serves, behind one router: `pod-containers` (engine/pods/native), `pod-wasm`
// (engine/pods/wasm) and `pod-microvm-containers` (engine/pods/microvm; alias pod-microvm). run_pod goes by the
// pod's runtimeClassName; other operations to the runtime holding the pod.
import { createMicrovmRuntime } from '../pods/microvm';
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
  const microvm = createMicrovmRuntime({ home });
  return {
    runtime: routePods([
      { classes: ['pod-containers'], runtime: native },
      { classes: ['pod-wasm'], runtime: wasm },
      { classes: ['pod-microvm-containers'], runtime: microvm },
    ]),
    runtimeClasses: ['pod-containers', 'pod-wasm', 'pod-microvm-containers'],
    close: async () => {
      await Promise.all([native.close(), wasm.close(), microvm.close()]);
    },
  };
}
