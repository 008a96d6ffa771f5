// Sandboxes for run_pod, with a warm spare: a sandbox (sandbox.ts) started before its pod is known, so runc,
// Node's start-up (tens of milliseconds) and the container threads' boot are paid before run_pod needs them.
// The runtime keeps one idle spare; run_pod takes it (or starts a sandbox at once when there is none, while
// it prepares the pod), and a new spare is started once run_pod is over (not during: it would compete for
// the CPU with the pod starting). An idle spare leaves by itself when its stdin pipe ends, so one whose
// runtime died is not left running (what it has on the host is swept by the next reconcile); close() removes
// the idle one at once.
import { Sandbox } from './sandbox';
import { supervisorCommand, type SupervisorCommandOf } from './supervisor-command';

/** Container threads a spare boots ahead (a pod with more boots the rest when it starts). */
export const DEFAULT_SPARE_THREADS = 3;

export class SandboxPool {
  private spare: Sandbox | undefined;
  private closed = false;

  constructor(
    private readonly home: string,
    /** Keep a warm spare (false: every run_pod starts its sandbox). */
    private readonly keepSpare: boolean,
    private readonly threads: number = DEFAULT_SPARE_THREADS,
    private readonly command: SupervisorCommandOf = supervisorCommand,
  ) {}

  /** The idle spare once its supervisor is warm (tests, the bench, diagnostics). */
  get idle(): { pid: number; log: string; id: string } | undefined {
    const s = this.spare;
    return s && s.pid !== undefined && s.alive() && s.isWarm() ? { pid: s.pid, log: s.log, id: s.id } : undefined;
  }

  /** Starts a spare unless there is one. */
  warm(): void {
    if (this.closed || !this.keepSpare || this.spare) return;
    let s: Sandbox;
    try {
      s = this.start();
    } catch {
      // run_pod starts its own and reports why that fails.
      return;
    }
    this.spare = s;
    s.ready.catch(() => {
      if (this.spare === s) this.spare = undefined;
      void s.discard().catch(() => undefined);
    });
  }

  /** A sandbox for a pod: the idle spare if it is alive (or still starting), else a new one. */
  take(): Sandbox {
    const s = this.spare;
    this.spare = undefined;
    if (s && s.alive() !== false) return s;
    if (s) void s.discard().catch(() => undefined);
    return this.start();
  }

  private start(): Sandbox {
    return Sandbox.start(this.home, this.command(['--spare', String(this.threads)], this.home));
  }

  /** Ends the idle spare, and starts no more. */
  async close(): Promise<void> {
    this.closed = true;
    const s = this.spare;
    this.spare = undefined;
    if (s) await s.discard();
  }
}
