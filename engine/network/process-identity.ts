// Recognising a process we started earlier, possibly from a previous daemon: a pid alone may have been reused
// by the time we look again, so records keep the kernel's start time too (field 22 of /proc/PID/stat).
import { readFileSync, readlinkSync } from 'node:fs';

/** Start time of `pid` in clock ticks since boot, or undefined when there is no such process. */
export function processStartTicks(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may contain spaces and parentheses: fields restart after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(rest[19]); // field 22 overall; rest[0] is field 3
  return Number.isFinite(ticks) ? ticks : undefined;
}

/** Start time of `pid` as the text of /proc/PID/stat's field 22 (how pod records keep it), or undefined. */
export function processStartTime(pid: number): string | undefined {
  const ticks = processStartTicks(pid);
  return ticks === undefined ? undefined : String(ticks);
}

/** True while `pid` exists and is not a zombie. */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** The executable of `pid` (readlink /proc/PID/exe), or undefined when unreadable. */
export function processExe(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return undefined;
  }
}

/** True when `pid` is alive and is the same process that had `startTicks` when recorded. */
export function sameProcess(pid: number, startTicks: number): boolean {
  return processAlive(pid) && processStartTicks(pid) === startTicks;
}

/** Sends `signal`, then waits until the process is gone; SIGKILL after `graceMs`. True if it is gone. */
export async function terminateProcess(pid: number, graceMs = 1000): Promise<boolean> {
  if (!signal(pid, 'SIGTERM')) return !processAlive(pid);
  if (await waitGone(pid, graceMs)) return true;
  signal(pid, 'SIGKILL');
  return waitGone(pid, 2000);
}

function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!processAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return !processAlive(pid);
}
