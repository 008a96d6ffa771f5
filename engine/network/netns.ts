// Naming a pod's network namespace. The pod runtime knows its pause process's pid; tests and `ip netns`
// users have a path (/run/netns/NAME or any nsfs bind mount). Both end up as a path nsenter and open() take.
// The daemon hands port-forward a pinned reference (ProcessNetns): a pid is only a name for a process while
// that process lives, so the namespace is used only while the pid's start time and the namespace's inode are
// still what the daemon saw.
import { closeSync, fstatSync, openSync, statSync } from 'node:fs';
import { processStartTime } from './process-identity';

/** A process's network namespace as the daemon found it (pods/netns): the pid, its start time, the namespace inode. */
export interface ProcessNetns {
  pid: number;
  startTime: string;
  netnsInode: number;
}

/** A pid (whose /proc/PID/ns/net is meant), a pinned process namespace, or the path of a network namespace file. */
export type NetnsRef = number | string | ProcessNetns;

export function netnsPath(ref: NetnsRef): string {
  const pid = typeof ref === 'object' ? ref.pid : ref;
  if (typeof pid === 'number') {
    if (!Number.isInteger(pid) || pid <= 0) throw new Error(`invalid pid ${pid}`);
    return `/proc/${pid}/ns/net`;
  }
  if (pid === '') throw new Error('empty network namespace path');
  return pid;
}

/** The namespace's inode (what `readlink /proc/PID/ns/net` shows as net:[INODE]); throws when it is gone. */
export function netnsInode(ref: NetnsRef): number {
  const path = netnsPath(ref);
  let ino: number;
  try {
    ino = statSync(path).ino;
  } catch (e) {
    throw new Error(`network namespace ${describeNetns(ref)} is gone: ${(e as Error).message}`);
  }
  if (typeof ref === 'object') assertSameProcessNetns(ref, ino);
  return ino;
}

/** A pinned reference still names what it was made for: the same process (read after `ino`) in the same namespace. */
function assertSameProcessNetns(ref: ProcessNetns, ino: number): void {
  if (processStartTime(ref.pid) !== ref.startTime) {
    throw new Error(`network namespace ${describeNetns(ref)} is gone: pid ${ref.pid} is no longer the pod's process (it exited; the pid may belong to another process now)`);
  }
  if (ino !== ref.netnsInode) throw new Error(`network namespace ${describeNetns(ref)} is gone: pid ${ref.pid} is in another network namespace now`);
}

/** The inode of the host's (this process's) network namespace. */
export function hostNetnsInode(): number {
  return statSync('/proc/self/ns/net').ino;
}

/**
 * Opens the namespace for passing to a child as an inherited fd. Opening /proc/PID/ns/net needs ptrace-level
 * access to PID, which tools that drop capabilities (pasta) no longer have; an fd we open keeps working.
 */
export function openNetns(ref: NetnsRef): number {
  let fd: number;
  try {
    fd = openSync(netnsPath(ref), 'r');
  } catch (e) {
    throw new Error(`cannot open network namespace ${describeNetns(ref)}: ${(e as Error).message}`);
  }
  if (typeof ref === 'object') {
    // Checked on what was opened, and the process after opening: the descriptor is the pod's namespace only if
    // its process was still the pod's when it was taken.
    try {
      assertSameProcessNetns(ref, fstatSync(fd).ino);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }
  return fd;
}

/**
 * The user namespace of the process that holds a pod's network namespace (a rootless pod's: the user's own
 * namespace, which a plain user must enter to join the network one). Pinned references are checked as in
 * openNetns; a path reference has no process to ask.
 */
export function openOwningUserns(ref: NetnsRef): number {
  if (typeof ref === 'string') throw new Error(`cannot tell which user namespace owns ${ref}`);
  const pid = typeof ref === 'object' ? ref.pid : ref;
  let fd: number;
  try {
    fd = openSync(`/proc/${pid}/ns/user`, 'r');
  } catch (e) {
    throw new Error(`cannot open the user namespace of pid ${pid}: ${(e as Error).message}`);
  }
  if (typeof ref === 'object') {
    try {
      assertSameProcessNetns(ref, statSync(netnsPath(ref)).ino);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }
  return fd;
}

export function closeQuietly(fd: number | undefined): void {
  if (fd === undefined) return;
  try {
    closeSync(fd);
  } catch {
    // already closed: nothing to release
  }
}

/** Refuses the host's own namespace: configuring it or attaching pasta to it would change the host. */
export function assertNotHostNetns(ref: NetnsRef): void {
  if (netnsInode(ref) === hostNetnsInode()) {
    throw new Error(`${describeNetns(ref)} is the host's network namespace, not a pod's`);
  }
}

export function describeNetns(ref: NetnsRef): string {
  if (typeof ref === 'object') return `of pid ${ref.pid}`;
  return typeof ref === 'number' ? `of pid ${ref}` : ref;
}

/** argv prefix running a command inside the namespace: nsenter --net=PATH -- CMD... */
export function nsenterArgs(ref: NetnsRef): string[] {
  return [`--net=${netnsPath(ref)}`, '--'];
}
