// A throwaway network namespace held by a pause-like process (catatonit -P, else busybox sleep): what the
// doctor's pasta self-test attaches to, and what tests use in place of a pod's pause process.
import { spawn, type ChildProcess } from 'node:child_process';
import { readlinkSync, realpathSync, statSync } from 'node:fs';
import { netnsPath, type NetnsRef } from './netns';
import { findExecutable } from './run-tool';

export interface ScratchNetns {
  /** The holder's pid: /proc/PID/ns/net is the namespace. */
  pid: number;
  /** Kills the holder; the namespace goes with it unless something else holds it. */
  stop(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r())));
}

/** Starts the holder; with `parent`, the new namespace is made from inside that one. */
export async function startScratchNetns(parent?: NetnsRef): Promise<ScratchNetns> {
  const unshare = findExecutable('unshare');
  if (!unshare) throw new Error('unshare not found: install it with `apt-get install -y util-linux`');
  const catatonit = findExecutable('catatonit');
  const busybox = findExecutable('busybox');
  const pause = catatonit ? [catatonit, '-P'] : busybox ? [busybox, 'sleep', '2147483647'] : undefined;
  if (!pause) throw new Error('no pause program: install catatonit (`apt-get install -y catatonit`)');
  const argv = [...(parent !== undefined ? [findExecutable('nsenter') ?? 'nsenter', `--net=${netnsPath(parent)}`, '--'] : []), unshare, '--net', '--', ...pause];
  const pauseExe = realpathSync(pause[0]); // what /proc/PID/exe will show once the exec chain is done
  const before = statSync(parent !== undefined ? netnsPath(parent) : '/proc/self/ns/net').ino;
  const child = spawn(argv[0], argv.slice(1), { stdio: 'ignore' });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await exited(child);
  };
  // nsenter and unshare exec in place: the child is the holder once it runs the pause program in a new namespace.
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
    try {
      const ino = statSync(`/proc/${child.pid}/ns/net`).ino;
      if (ino !== before && readlinkSync(`/proc/${child.pid}/exe`) === pauseExe) return { pid: child.pid!, stop };
    } catch {
      // not started yet, or already gone: the loop condition decides
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  await stop();
  throw new Error(`could not create a network namespace with ${argv.join(' ')}`);
}
