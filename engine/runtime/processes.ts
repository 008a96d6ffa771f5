// Process facts from /proc. PID 1 on some hosts (this one included) reaps orphans late, so an exited conmon
// can linger as a zombie: "alive" means present and not a zombie. The start time (clock ticks since boot)
// tells a recycled pid from the process we recorded.
import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

export interface ProcStat {
  pid: number;
  state: string;
  ppid: number;
  /** Field 22 of /proc/PID/stat, as text (it can exceed 2^53 in theory). */
  startTime: string;
}

export function parseProcStat(text: string): ProcStat | undefined {
  // comm may hold spaces and parentheses: the fields start after the last ')'.
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const pid = Number(text.slice(0, text.indexOf('(')).trim());
  const rest = text.slice(close + 2).split(' ');
  // rest[0] is field 3 (state); field 22 is rest[19].
  if (rest.length < 20) return undefined;
  return { pid, state: rest[0], ppid: Number(rest[1]), startTime: rest[19] };
}

export function procStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Running (not a zombie) and, when `startTime` is given, the same process that was recorded. A multi-threaded
 * process (QEMU) whose main thread has exited shows as a zombie while its other threads are still exiting and
 * still hold its files (QEMU's sockets): it is alive until they are gone too.
 */
export function isAlive(pid: number | undefined, startTime?: string): boolean {
  if (!pid || pid <= 0) return false;
  const s = procStat(pid);
  if (!s || s.state === 'X') return false;
  if (s.state === 'Z' && !threadsLeft(pid)) return false;
  return startTime === undefined || s.startTime === startTime;
}

/** Whether a process whose main thread is a zombie still has other threads. */
function threadsLeft(pid: number): boolean {
  try {
    return readdirSync(`/proc/${pid}/task`).length > 1;
  } catch {
    return false;
  }
}

export async function readCmdline(pid: number): Promise<string[] | undefined> {
  try {
    const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter((s, i, all) => s !== '' || i < all.length - 1);
  } catch {
    return undefined;
  }
}

/** Polls until the process is gone (or a zombie), backing off to `maxDelayMs`; false when `timeoutMs` passed first. */
export async function waitGone(pid: number, timeoutMs: number, startTime?: string, maxDelayMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let delay = Math.min(2, maxDelayMs);
  while (isAlive(pid, startTime)) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, maxDelayMs);
  }
  return true;
}

export function signalProcess(pid: number, signal: NodeJS.Signals | number): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Every pid currently in /proc. */
export function listPids(): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number);
}
