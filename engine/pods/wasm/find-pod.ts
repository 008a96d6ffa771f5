// A pod reference (uid, name, namespace/name) to a wasm pod's uid. NOT_FOUND for names of other runtimes'
// pods too: the daemon asks each runtime in turn.
import { PodError } from '../types';
import type { WasmContext } from './context';
import { resolveWasmPod } from './names';

export async function findWasmPod(ctx: WasmContext, ref: string): Promise<string> {
  const uid = await resolveWasmPod(ctx.home, ref);
  if (!uid) throw new PodError(`pod ${ref} not found`, 'NOT_FOUND');
  return uid;
}
