// Removing everything a wasm pod made, from whatever state it is in (a failed run_pod, a daemon killed
// midway, delete): its sandbox (the supervisor is killed, so its worker threads and the modules end with it;
// then runc's state, cgroups and the slot's mounts, sandbox.ts), unpacked images, tmpfs volumes, the
// directory and the name. Each step tolerates an earlier attempt having done part of it.
import { readdir, rm } from 'node:fs/promises';
import { removeRootfs } from '../../image/unpack';
import { isAlive, signalProcess, waitGone } from '../../runtime/processes';
import { unmountUnder } from '../native/host-mounts';
import type { WasmContext } from './context';
import { releasePodName } from './names';
import { WasmPodPaths } from './paths';
import type { WasmPodRecord } from './records';
import { removeSandbox } from './sandbox';

/** Ends the pod's supervisor and removes its sandbox. */
export async function killSupervisor(ctx: WasmContext, record: WasmPodRecord | undefined): Promise<void> {
  if (record?.sandbox) return removeSandbox(ctx.home, record.sandbox.id, record.supervisor);
  // A record from before sandboxes, or none: only a recorded process can be ended.
  const s = record?.supervisor;
  if (s && isAlive(s.pid, s.startTime)) signalProcess(s.pid, 'SIGKILL');
  if (s) await waitGone(s.pid, 5000, s.startTime);
}

export async function teardownWasmPod(ctx: WasmContext, uid: string, record: WasmPodRecord | undefined): Promise<void> {
  const paths = new WasmPodPaths(ctx.home, uid);
  ctx.unwatchPod(uid);
  // The sandbox first: nothing may write in the pod directory while it is removed.
  await killSupervisor(ctx, record);
  const store = await ctx.native.store();
  for (const name of await readdir(`${paths.dir}/c`).catch(() => [] as string[])) await removeRootfs(store, paths.rootfsDir(name)).catch(() => undefined);
  const stuck = await unmountUnder(paths.dir);
  // Deleting through a live mount would delete what it shows: leave the directory for the next attempt.
  if (stuck.length > 0) throw new Error(`cannot unmount ${stuck.join(', ')}; the pod directory ${paths.dir} was kept`);
  await rm(paths.dir, { recursive: true, force: true });
  await releasePodName(ctx.home, uid, record);
  ctx.forget(uid);
}
