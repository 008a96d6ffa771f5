// Removing everything a pod made, from whatever state it is in: a half-created pod (run_pod rollback, a
// daemon killed mid-run), a running one (delete --force) or a stopped one. Each step tolerates the previous
// attempt having done part of it, so a teardown interrupted by a crash can simply run again.
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { removeRootfs } from '../../image/unpack';
import { cgroupPids, findExecutable, isAlive, OciRuntime, podCgroupPath, removeCgroupTree, signalProcess, waitGone } from '../../runtime';
import type { RuntimeContext } from './context';
import { unmountUnder } from './host-mounts';
import { disconnectPodNetwork, killStrayPasta, networkWish } from './pod-network';
import { PodPaths, uidPrefix } from './paths';
import { releaseNamesOf } from './pod-names';
import { isDirectPause, type PodRecord } from './state';

/** How often teardown looks whether the processes it killed are gone, at most (ms). */
const TEARDOWN_POLL_MS = 4;

/** Every runtime whose state directory exists under this home (a crashed pod may not say which it used). */
function runtimesOf(ctx: RuntimeContext, record: PodRecord | undefined): OciRuntime[] {
  if (record) return [ctx.oci(record)];
  const out: OciRuntime[] = [];
  for (const name of ['runc', 'crun', 'youki']) {
    const path = findExecutable(name);
    if (path) out.push(new OciRuntime({ name, path, version: '' }, join(ctx.home, 'runtime', name)));
  }
  return out;
}

/** conmon pids recorded in pod.json or left in bundle directories. */
async function conmonPids(paths: PodPaths, record: PodRecord | undefined): Promise<{ pid: number; startTime?: string }[]> {
  const out: { pid: number; startTime?: string }[] = [];
  if (record?.pause && !isDirectPause(record.pause)) out.push({ pid: record.pause.conmonPid, startTime: record.pause.conmonStartTime });
  for (const c of record?.containers ?? []) if (c.process) out.push({ pid: c.process.conmonPid, startTime: c.process.conmonStartTime });
  const files = [join(paths.pause, 'conmon.pid')];
  for (const name of await readdir(join(paths.dir, 'c')).catch(() => [] as string[]))
    for (const b of await readdir(paths.container(name)).catch(() => [] as string[])) if (/^b\d+$/.test(b)) files.push(join(paths.container(name), b, 'conmon.pid'));
  for (const f of files) {
    const pid = Number((await readFile(f, 'utf8').catch(() => '')).trim());
    if (pid > 0 && !out.some((x) => x.pid === pid)) out.push({ pid });
  }
  return out;
}

export async function teardownPod(ctx: RuntimeContext, uid: string, record: PodRecord | undefined): Promise<void> {
  const paths = new PodPaths(ctx.home, uid);
  const prefix = `${uidPrefix(uid)}-`;
  const runtimes = runtimesOf(ctx, record);
  // The runtime's state folder names every container it knows, recorded or not (a crash between create and
  // record): read, not `runc list`, which fails as a whole while another pod's container is being deleted.
  const listings = runtimes.map((r) => r.ids());
  const conmons = await conmonPids(paths, record);

  // 1. Containers: SIGKILL everything of the pod (recorded or not), then delete. Every process of the pod
  // is in its cgroup: killing them from here saves a `runc kill` process per container. Without cgroups,
  // runc kills. Never `delete --force` on a running container: runc sleeps 100 ms before it looks whether
  // its kill worked.
  const inCgroup = await cgroupPids(podCgroupPath(uid)).catch(() => [] as number[]);
  for (const pid of inCgroup) signalProcess(pid, 'SIGKILL');
  // A direct pause is in the pod cgroup too; by pid and start time in case its cgroup could not be read.
  const pause = record?.pause && isDirectPause(record.pause) ? record.pause : undefined;
  if (pause && isAlive(pause.pid, pause.startTime)) signalProcess(pause.pid, 'SIGKILL');
  // Each recorded container's init, by OCI id: its runtime state can go as soon as it is dead.
  const inits = new Map<string, { pid: number; startTime?: string }>();
  for (const c of record?.containers ?? []) if (c.process) inits.set(c.process.id, { pid: c.process.pid, startTime: c.process.startTime });
  if (record?.pause && !pause) inits.set(record.pause.id, { pid: record.pause.pid, startTime: record.pause.startTime });
  // pasta stops (its state file is in the pod directory) while the containers go.
  const network = disconnectPodNetwork(ctx, uid);
  network.catch(() => undefined);
  for (const [i, runtime] of runtimes.entries()) {
    const ids = (await listings[i]).filter((id) => id.startsWith(prefix));
    // Without a cgroup to kill from (none here, or already emptied), the runtime kills; a stopped one just refuses.
    const live = inCgroup.length === 0 ? ids : [];
    await Promise.all(live.map((id) => runtime.kill(id, 'SIGKILL', true).catch(() => runtime.kill(id, 'SIGKILL').catch(() => undefined))));
    // conmon writes the exit file and leaves once its container is gone; it must be gone before its files are.
    // `runtime delete` needs only the container stopped: a recorded one's goes as soon as its init is dead,
    // during that wait (polled every few ms: they all die within ms of the SIGKILL).
    const conmonsGone = Promise.all(conmons.map((c) => waitGone(c.pid, 5000, c.startTime, TEARDOWN_POLL_MS)));
    await Promise.all([
      conmonsGone,
      ...ids.map(async (id) => {
        const init = inits.get(id);
        if (init) await waitGone(init.pid, 5000, init.startTime, TEARDOWN_POLL_MS);
        else await conmonsGone;
        await runtime.delete(id, true).catch(() => undefined);
      }),
    ]);
  }
  if (pause) await waitGone(pause.pid, 5000, pause.startTime, TEARDOWN_POLL_MS);
  for (const c of conmons) if (isAlive(c.pid, c.startTime)) signalProcess(c.pid, 'SIGKILL');

  // 2. pasta (also one no state file names), processes that escaped their runtime (conmon lost), then the cgroups.
  await network;
  if (!record || networkWish(record.pod)) await killStrayPasta(ctx, uid);
  await removeCgroupTree(podCgroupPath(uid));

  // 3. Root filesystems (overlay mounts and store references), then any other mount below the pod.
  const store = await ctx.store();
  await Promise.all((await readdir(join(paths.dir, 'c')).catch(() => [] as string[])).map((name) => removeRootfs(store, paths.rootfsDir(name)).catch(() => undefined)));
  const stuck = await unmountUnder(paths.dir);
  // Deleting through a live mount would delete what it shows: leave the directory for the next attempt.
  if (stuck.length > 0) throw new Error(`cannot unmount ${stuck.join(', ')}; the pod directory ${paths.dir} was kept`);

  // 4. Files and the name.
  await rm(paths.dir, { recursive: true, force: true });
  await releaseNamesOf(ctx.home, uid, record);
  ctx.forget(uid);
}
