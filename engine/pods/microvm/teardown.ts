// Removing everything a microVM pod made, from whatever state it is in (a failed run_pod, a daemon killed
// midway, delete): QEMU (SIGKILL: the guest and its containers end with it) and passt, also ones not recorded
// yet (found by their command lines, which carry the pod's name and socket), the image root filesystems in
// the share, the directory and the name. Each step tolerates an earlier attempt having done part of it.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { removeRootfs } from '../../image/unpack';
import { isAlive, listPids, procStat, readCmdline, signalProcess, waitGone } from '../../runtime/processes';
import { unmountUnder } from '../native/host-mounts';
import { releasePodName } from '../wasm/names';
import type { VmContext } from './context';
import { vmProcessName } from './launch';
import { VmPodPaths } from './paths';
import type { ProcessRef, VmPodRecord } from './records';

/** QEMU and passt processes of this pod, recorded or not. */
export async function podProcesses(paths: VmPodPaths, record: VmPodRecord | undefined): Promise<ProcessRef[]> {
  const out: ProcessRef[] = [record?.vm, record?.passt].filter((r): r is ProcessRef => !!r && r.pid > 0);
  const name = vmProcessName(paths.uid);
  for (const pid of listPids()) {
    if (pid === process.pid || out.some((r) => r.pid === pid)) continue;
    const argv = await readCmdline(pid);
    if (!argv?.length) continue;
    const qemu = argv[0].endsWith('qemu-system-x86_64') && argv.some((a) => a.startsWith(`${name},`));
    const passt = /(^|\/)passt(\.avx2)?$/.test(argv[0]) && argv.includes(paths.passtSocket);
    if (qemu || passt) out.push({ pid, ...(procStat(pid) ? { startTime: procStat(pid)!.startTime } : {}) });
  }
  return out;
}

export async function killPodProcesses(paths: VmPodPaths, record: VmPodRecord | undefined): Promise<void> {
  const all = await podProcesses(paths, record);
  for (const p of all) if (isAlive(p.pid, p.startTime)) signalProcess(p.pid, 'SIGKILL');
  await Promise.all(all.map((p) => waitGone(p.pid, 10_000, p.startTime)));
}

export async function teardownVmPod(ctx: VmContext, uid: string, record: VmPodRecord | undefined): Promise<void> {
  const paths = new VmPodPaths(ctx.home, uid);
  ctx.unwatchPod(uid);
  ctx.disconnect(uid);
  await killPodProcesses(paths, record);
  const store = await ctx.native.store();
  const roots = join(paths.share, 'c');
  for (const name of await readdir(roots).catch(() => [] as string[])) await removeRootfs(store, join(roots, name)).catch(() => undefined);
  const stuck = await unmountUnder(paths.dir);
  // Deleting through a live mount would delete what it shows: leave the directory for the next attempt.
  if (stuck.length > 0) throw new Error(`cannot unmount ${stuck.join(', ')}; the pod directory ${paths.dir} was kept`);
  await rm(paths.dir, { recursive: true, force: true });
  await releasePodName(ctx.home, uid, record);
  ctx.forget(uid);
}
