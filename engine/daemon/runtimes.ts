// Which PodRuntime the daemon serves. `pod-containers` (engine/pods/native) is the first; the other runtime
// classes join here when they exist.
import { createNativeRuntime } from '../pods/native';
import type { PodRuntime } from '../pods/runtime';

export interface DaemonRuntime {
  runtime: PodRuntime;
  runtimeClasses: string[];
  /** Stops the runtime's in-process supervision (probes, restarts) when the daemon stops; pods keep running. */
  close?(): Promise<void>;
}

export async function createDaemonRuntime(home: string): Promise<DaemonRuntime> {
  const runtime = createNativeRuntime({ home });
  return { runtime, runtimeClasses: ['pod-containers'], close: () => runtime.close() };
}
