// The fallback CPU bound for modules the metering rewriter cannot instrument: the CPU time of the module's
// worker thread (utime + stime of /proc/self/task/<tid>/stat, in clock ticks), checked every 100 ms while such
// an instance runs. Coarser than fuel (a tick is 10 ms, a check 100 ms) but it bounds the same thing.
import { readFileSync } from 'node:fs';
import type { InstanceExit } from './instance';

/** Linux's USER_HZ on every architecture Node runs on. */
const TICKS_PER_SECOND = 100;
const CHECK_MS = 100;

/** Instructions per CPU second assumed to turn a fuel budget into a CPU-time budget. */
export const FALLBACK_INSTRUCTIONS_PER_SECOND = 1e9;

export function threadCpuSeconds(tid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 (utime, stime) are at 11 and 12 counting from field 3.
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

export class CpuAccounting {
  private readonly watched = new Map<string, { tid: number; budget: number }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly overBudget: (name: string, exit: Omit<InstanceExit, 'finishedAt'>) => void) {}

  watch(name: string, tid: number, seconds: number): void {
    this.watched.set(name, { tid, budget: seconds });
    this.timer ??= setInterval(() => this.check(), CHECK_MS);
  }

  unwatch(name: string): void {
    this.watched.delete(name);
    if (this.watched.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  close(): void {
    this.watched.clear();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private check(): void {
    for (const [name, w] of this.watched) {
      const used = threadCpuSeconds(w.tid);
      if (used === undefined || used <= w.budget) continue;
      this.watched.delete(name);
      this.overBudget(name, {
        exitCode: 137,
        signal: 9,
        reason: 'CPUBudgetExceeded',
        message: `the module used ${used.toFixed(2)} s of CPU, over its budget of ${w.budget} s (it could not be metered by instruction, so its CPU time is accounted instead)`,
      });
    }
  }
}
