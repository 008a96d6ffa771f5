// exec: WASI preview 1 has no way to start a second program inside a module's sandbox (no processes), so a
// wasm pod has nothing to exec into. The pod is looked up first: for another runtime's pod this is NOT_FOUND,
// which lets the daemon route the call on.
import type { ExecRequest, ExecSession } from '../runtime';
import { PodError } from '../types';
import type { WasmContext } from './context';
import { findWasmPod } from './find-pod';

export async function execInWasmPod(ctx: WasmContext, req: ExecRequest): Promise<ExecSession> {
  await findWasmPod(ctx, req.pod);
  throw new PodError(
    `pod ${req.pod} runs WebAssembly modules (runtime class pod-wasm): exec is not supported, because WASI preview 1 cannot start processes inside a module's sandbox; read its logs instead, or run the pod with pod-containers`,
    'NOT_SUPPORTED',
    req.container ? { container: req.container } : undefined,
  );
}
