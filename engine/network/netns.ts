// Naming a pod's network namespace. The pod runtime knows its pause process's pid; tests and `ip netns`
// users have a path (/run/netns/NAME or any nsfs bind mount). Both end up as a path nsenter and open() take.
import { closeSync, openSync, statSync } from 'node:fs';

/** A pid (whose /proc/PID/ns/net is meant) or the path of a network namespace file. */
export type NetnsRef = number | string;

export function netnsPath(ref: NetnsRef): string {
  if (typeof ref === 'number') {
    if (!Number.isInteger(ref) || ref <= 0) throw new Error(`invalid pid ${ref}`);
    return `/proc/${ref}/ns/net`;
  }
  if (ref === '') throw new Error('empty network namespace path');
  return ref;
}

/** The namespace's inode (what `readlink /proc/PID/ns/net` shows as net:[INODE]); throws when it is gone. */
export function netnsInode(ref: NetnsRef): number {
  const path = netnsPath(ref);
  try {
    return statSync(path).ino;
  } catch (e) {
    throw new Error(`network namespace ${describeNetns(ref)} is gone: ${(e as Error).message}`);
  }
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
  try {
    return openSync(netnsPath(ref), 'r');
  } catch (e) {
    throw new Error(`cannot open network namespace ${describeNetns(ref)}: ${(e as Error).message}`);
  }
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
  return typeof ref === 'number' ? `of pid ${ref}` : ref;
}

/** argv prefix running a command inside the namespace: nsenter --net=PATH -- CMD... */
export function nsenterArgs(ref: NetnsRef): string[] {
  return [`--net=${netnsPath(ref)}`, '--'];
}
