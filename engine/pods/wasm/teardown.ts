// Removing everything a wasm pod made, from whatever state it is in (a failed run_pod, a daemon killed
// midway, delete): the supervisor (SIGKILL: its worker threads, hence the modules, end with it), any
// supervisor of this pod not recorded yet (found by its command line), unpacked images, tmpfs volumes, the
// directory and the name. Each step tolerates an earlier attempt having done part of it.
import { readdir, rm } from 'node:fs/promises';
import { removeRootfs } from '../../image/unpack';
import { isAlive, listPids, readCmdline, signalProcess, waitGone } from '../../runtime/processes';
import { unmountUnder } from '../native/host-mounts';
import type { WasmContext } from './context';
import { releasePodName } from './names';
import { WasmPodPaths } from './paths';
import { readSupervisorState, type SupervisorRef, type WasmPodRecord } from './records';

/** Supervisor processes of this pod directory (recorded or not). */
async function supervisorsOf(paths: WasmPodPaths, recorded: (SupervisorRef | undefined)[]): Promise<SupervisorRef[]> {
  const out: SupervisorRef[] = recorded.filter((r): r is SupervisorRef => !!r && r.pid > 0);
  for (const pid of listPids()) {
    if (pid === process.pid || out.some((r) => r.pid === pid)) continue;
    const argv = await readCmdline(pid);
    if (!argv || argv[argv.length - 1] !== paths.dir) continue;
    if (argv.some((a) => a.endsWith('supervisor-main.ts') || a.endsWith('wasm-supervisor.js') || a === '__wasm-supervisor')) out.push({ pid });
  }
  return out;
}

export async function killSupervisors(paths: WasmPodPaths, record: WasmPodRecord | undefined): Promise<void> {
  const state = await readSupervisorState(paths.home, paths.uid);
  const all = await supervisorsOf(paths, [record?.supervisor, state?.supervisor]);
  for (const s of all) if (isAlive(s.pid, s.startTime)) signalProcess(s.pid, 'SIGKILL');
  await Promise.all(all.map((s) => waitGone(s.pid, 5000, s.startTime)));
}

export async function teardownWasmPod(ctx: WasmContext, uid: string, record: WasmPodRecord | undefined): Promise<void> {
  const paths = new WasmPodPaths(ctx.home, uid);
  ctx.unwatchPod(uid);
  await killSupervisors(paths, record);
  const store = await ctx.native.store();
  for (const name of await readdir(`${paths.dir}/c`).catch(() => [] as string[])) await removeRootfs(store, paths.rootfsDir(name)).catch(() => undefined);
  const stuck = await unmountUnder(paths.dir);
  // Deleting through a live mount would delete what it shows: leave the directory for the next attempt.
  if (stuck.length > 0) throw new Error(`cannot unmount ${stuck.join(', ')}; the pod directory ${paths.dir} was kept`);
  await rm(paths.dir, { recursive: true, force: true });
  await releasePodName(ctx.home, uid, record);
  ctx.forget(uid);
}
