// The daemon's activity log: one timestamped line per event, appended to daemon.log (0600), moved aside to
// daemon.log.1 past a size cap so a long-lived daemon never fills the disk. Callers pass only names, codes and
// short messages: never manifest text, linter findings' text (it may quote a value), env values, exec arguments
// or stream bytes (they may hold secrets).
// Lines go through a descriptor kept open, not by path: once the home is deleted they go nowhere, instead of
// making daemon.log again in a directory `rm -rf` is emptying.
import { closeSync, fstatSync, openSync, renameSync, writeSync } from 'node:fs';

const MAX_BYTES = 4 * 1024 * 1024;
const MAX_LINE = 500;

export interface DaemonLog {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export function createDaemonLog(path: string, now: () => Date = () => new Date()): DaemonLog {
  let fd: number | undefined;
  let written = 0;
  const open = (): number => {
    const opened = openSync(path, 'a', 0o600);
    written = fstatSync(opened).size;
    return opened;
  };
  const write = (level: string, msg: string): void => {
    // Single-line and bounded, so one odd message cannot forge entries or bloat the file.
    const text = msg.replace(/[\r\n]+/g, ' ').slice(0, MAX_LINE);
    const line = Buffer.from(`${now().toISOString()} ${level} ${text}\n`);
    try {
      fd ??= open();
      if (written + line.length > MAX_BYTES) {
        renameSync(path, path + '.1');
        closeSync(fd);
        fd = undefined;
        fd = open();
      }
      // Synchronous so the last lines before a crash or SIGKILL are on disk.
      writeSync(fd, line);
      written += line.length;
    } catch {
      // A full disk (or a home removed under us) must not take the daemon down with it.
    }
  };
  return {
    info: (m) => write('info', m),
    warn: (m) => write('warn', m),
    error: (m) => write('error', m),
  };
}
