// One daemon per PODSMITH_HOME: an exclusive flock on run/daemon.lock held for the daemon's whole life. The
// kernel drops it when the process dies however it dies, so a crashed daemon never blocks the next one. The pid
// file next to it only tells clients and the user which process holds the lock.
import { chmodSync, lstatSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { ensurePrivateDir } from '../home';
import { tryLock, type HeldLock } from '../image/store/lock';
import type { DaemonPaths } from './paths';

export interface InstanceLock {
  release(): Promise<void>;
}

/** Creates home and run/ owner-only (fixing a run/ left group/world-accessible) and refuses one owned by another user. */
export function preparePrivateDirs(paths: DaemonPaths): void {
  ensurePrivateDir(paths.home);
  ensurePrivateDir(paths.runDir);
  const st = lstatSync(paths.runDir);
  if (!st.isDirectory()) throw new Error(`${paths.runDir} is not a directory; remove it and start the daemon again`);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) {
    throw new Error(`${paths.runDir} belongs to uid ${st.uid}, not to you (uid ${uid}); use your own PODSMITH_HOME`);
  }
  if ((st.mode & 0o077) !== 0) chmodSync(paths.runDir, 0o700);
}

/** The lock, or undefined when another daemon holds it. */
export async function acquireInstanceLock(paths: DaemonPaths): Promise<InstanceLock | undefined> {
  const held: HeldLock | undefined = await tryLock(paths.lock, 'exclusive');
  if (!held) return undefined;
  writeFileSync(paths.pidFile, `${process.pid}\n`, { mode: 0o600 });
  return {
    async release() {
      // Only our own pid file goes: a successor may already have written its own.
      if (readPid(paths) === process.pid) {
        try {
          unlinkSync(paths.pidFile);
        } catch {
          // already gone
        }
      }
      await held.release();
    },
  };
}

/** The pid in the pid file when that process is alive. */
export function runningDaemonPid(paths: DaemonPaths): number | undefined {
  const pid = readPid(paths);
  if (pid === undefined) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (err) {
    // EPERM: alive but someone else's; still a daemon holding this home.
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}

function readPid(paths: DaemonPaths): number | undefined {
  try {
    const n = Number.parseInt(readFileSync(paths.pidFile, 'utf8').trim(), 10);
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}
