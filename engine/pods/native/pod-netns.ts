// Which network namespace a pod's loopback lives in, for port-forward and the network checks: the pause process
// holds it. A recorded pid is trusted only while it is still the recorded process (its start time), since a pid
// freed when the pause exited can be given to any other process, in any other namespace.
import { closeSync, openSync, statSync } from 'node:fs';
import { isAlive, procStat } from '../../runtime';
import type { PodNetnsRef } from '../runtime';
import { PodError } from '../types';
import type { RuntimeContext } from './context';
import { isDirectPause, readPod, type PauseRecord } from './state';
import { findPod } from './stop-pod';

/**
 * The pause process's pid while it is the process that was recorded: same start time or, for records written
 * before start times were kept, still a child of its recorded conmon (the container's parent and subreaper).
 */
export function livePausePid(pause: PauseRecord | undefined): number | undefined {
  if (!pause) return undefined;
  if (isDirectPause(pause) || pause.startTime !== undefined) return isAlive(pause.pid, pause.startTime) ? pause.pid : undefined;
  const st = procStat(pause.pid);
  return st && isAlive(pause.pid) && st.ppid === pause.conmonPid && isAlive(pause.conmonPid, pause.conmonStartTime) ? pause.pid : undefined;
}

/** A descriptor of the pause's network namespace, opened while the pause is still the recorded process. */
export function openPauseNetns(pause: PauseRecord | undefined): number {
  const gone = () => new Error("the pod's pause process is gone, and its network namespace with it");
  const pid = livePausePid(pause);
  if (!pid) throw gone();
  let fd: number;
  try {
    fd = openSync(`/proc/${pid}/ns/net`, 'r');
  } catch {
    throw gone();
  }
  if (livePausePid(pause) !== pid) {
    closeSync(fd);
    throw gone();
  }
  return fd;
}

export async function podNetns(ctx: RuntimeContext, ref: string): Promise<PodNetnsRef> {
  const uid = await findPod(ctx, ref);
  const record = await readPod(ctx.home, uid);
  if (!record) throw new PodError(`pod ${ref} not found`, 'NOT_FOUND');
  if (record.pod.spec.hostNetwork) throw new PodError(`pod ${record.name} uses the host's network: connect to its ports on this host directly`, 'NOT_SUPPORTED');
  const notRunning = () => new PodError(`pod ${record.name} is not running (start it with 'podsmith run')`, 'INVALID');
  const pid = record.lifecycle === 'running' ? livePausePid(record.pause) : undefined;
  if (!pid) throw notRunning();
  const startTime = procStat(pid)?.startTime;
  let netnsInode: number;
  try {
    netnsInode = statSync(`/proc/${pid}/ns/net`).ino;
  } catch {
    throw notRunning();
  }
  // Checked again after reading the inode: it is the pause's namespace only if the pause still runs now.
  if (!startTime || !livePausePid(record.pause) || procStat(pid)?.startTime !== startTime) throw notRunning();
  if (netnsInode === statSync('/proc/self/ns/net').ino) throw new PodError(`pod ${record.name}'s pause process is in the host's network namespace`, 'RUNTIME');
  return { pid, startTime, netnsInode };
}
