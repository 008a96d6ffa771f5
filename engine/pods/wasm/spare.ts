// A warm spare supervisor: Node's start-up (tens of milliseconds) and the container threads' boot are paid
// before run_pod needs them. The runtime keeps one idle supervisor process, spawned as any supervisor is
// (detached into its own session, spawn.ts) with `--spare <log> <threads>` and its stdin a pipe from this
// process; run_pod moves its log into the pod directory, records its pid in pod.json, writes the pod
// directory on the pipe and closes it (supervisor-main.ts), and a new spare is started once run_pod is over
// (not during: it would compete for the CPU with the pod starting). An idle spare leaves by itself when the
// pipe ends, so one whose runtime closed or died is not left behind; close() kills it at once.
import { type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { waitGone } from '../../runtime/processes';
import { spareDir, type WasmPodPaths } from './paths';
import { warmUpDir } from './warm-up';
import type { SupervisorRef } from './records';
import { spawnDetached, spawned, supervisorCommand, type SupervisorCommandOf } from './spawn';

/** Container threads a spare boots ahead (a pod with more boots the rest when it starts). */
export const DEFAULT_SPARE_THREADS = 3;

interface Spare {
  child: ChildProcess;
  log: string;
  ref: Promise<SupervisorRef | undefined>;
  gone: boolean;
  assigned: boolean;
}

export class SpareSupervisors {
  private spare: Spare | undefined;
  private closed = false;

  constructor(
    private readonly home: string,
    private readonly threads: number = DEFAULT_SPARE_THREADS,
    private readonly command: SupervisorCommandOf = supervisorCommand,
  ) {}

  /** The idle spare's pid (tests, diagnostics). */
  get idle(): { pid: number; log: string } | undefined {
    const s = this.spare;
    return s && !s.gone && s.child.pid ? { pid: s.child.pid, log: s.log } : undefined;
  }

  /** Starts a spare unless there is one. */
  warm(): void {
    if (this.closed || this.spare) return;
    const log = join(spareDir(this.home), `${randomUUID()}.log`);
    let child: ChildProcess;
    try {
      mkdirSync(spareDir(this.home), { recursive: true, mode: 0o700 });
      child = spawnDetached(['--spare', log, String(this.threads)], log, this.command, true);
    } catch {
      rmSync(log, { force: true });
      return;
    }
    const s: Spare = { child, log, ref: spawned(child).catch(() => undefined), gone: false, assigned: false };
    // A write to a spare that just died must not become an uncaught error here.
    child.stdin!.on('error', () => undefined);
    child.once('error', () => (s.gone = true));
    child.once('exit', () => {
      s.gone = true;
      if (this.spare === s) this.spare = undefined;
      rmSync(warmUpDir(s.log), { recursive: true, force: true });
      if (!s.assigned) rmSync(s.log, { force: true });
    });
    this.spare = s;
  }

  /**
   * Makes the idle spare the supervisor of the pod at `paths`: its log becomes the pod's supervisor.log,
   * `record` (which writes pod.json) runs with its pid before the spare learns its pod, so a daemon that dies
   * in between leaves a recorded process (which leaves by itself: its pipe ends). Undefined without a live
   * spare, and the caller spawns a supervisor as before.
   */
  async assign(paths: WasmPodPaths, record: (ref: SupervisorRef) => Promise<void>): Promise<SupervisorRef | undefined> {
    const s = this.spare;
    if (!s || s.gone) return undefined;
    this.spare = undefined;
    const ref = await s.ref;
    if (!ref || s.gone) {
      await this.kill(s);
      return undefined;
    }
    try {
      s.assigned = true;
      renameSync(s.log, paths.supervisorLog);
      await record(ref);
    } catch (err) {
      await this.kill(s);
      throw err;
    }
    s.child.stdin!.end(`${paths.dir}\n`);
    return ref;
  }

  private async kill(s: Spare): Promise<void> {
    const ref = await s.ref;
    if (!s.gone) s.child.kill('SIGKILL');
    if (ref) await waitGone(ref.pid, 5000, ref.startTime);
    for (const p of [s.log, warmUpDir(s.log)]) rmSync(p, { recursive: true, force: true });
  }

  /** Ends the idle spare, and starts no more. */
  async close(): Promise<void> {
    this.closed = true;
    const s = this.spare;
    this.spare = undefined;
    if (s) await this.kill(s);
  }
}
