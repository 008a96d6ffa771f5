// A socket outside the home ($XDG_RUNTIME_DIR/podsmith/..., see paths.ts) gets a link at run/podsmith.sock,
// so every client of the home finds the daemon whatever its environment says about XDG_RUNTIME_DIR.
import { chmodSync, lstatSync, mkdirSync, readlinkSync, renameSync, symlinkSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DaemonPaths } from './paths';

/** Creates the socket's directory owner-only when it is not run/ (which preparePrivateDirs makes). */
export function prepareSocketDir(paths: DaemonPaths): void {
  if (paths.socket === paths.homeSocket) return;
  const dir = dirname(paths.socket);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  const uid = process.getuid?.();
  if (!st.isDirectory() || (uid !== undefined && st.uid !== uid)) throw new Error(`${dir} is not a directory of yours; remove it and start the daemon again`);
  if ((st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
}

/** run/podsmith.sock -> the socket (replacing whatever a dead daemon left there). */
export function linkHomeSocket(paths: DaemonPaths): void {
  if (paths.socket === paths.homeSocket) return;
  const temp = `${paths.homeSocket}.${process.pid}.link`;
  try {
    unlinkSync(temp);
  } catch {
    // not there
  }
  symlinkSync(paths.socket, temp);
  renameSync(temp, paths.homeSocket);
}

/** Removes the link while it still leads to this daemon's socket path. */
export function unlinkHomeSocket(paths: DaemonPaths): void {
  if (paths.socket === paths.homeSocket) return;
  try {
    if (lstatSync(paths.homeSocket).isSymbolicLink() && readlinkSync(paths.homeSocket) === paths.socket) unlinkSync(paths.homeSocket);
  } catch {
    // gone
  }
}
