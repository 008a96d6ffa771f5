// When a stop sends SIGKILL. A later request may bring it forward but never push it back, as Kubernetes
// shortens a pending deletion's grace period: `rm -f` or `stop --grace 1` during a 300 s graceful stop acts at
// once. Waiters use the signal, which aborts when the (possibly moved) deadline passes.
export class Deadline {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;

  constructor(private at: number) {
    this.arm();
  }

  /** The deadline, in ms since the epoch. */
  get ms(): number {
    return this.at;
  }

  /** Aborts once the deadline has passed. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  remainingMs(): number {
    return Math.max(0, this.at - Date.now());
  }

  /** Moves the deadline to `at` if that is earlier; returns whether it moved. */
  shorten(at: number): boolean {
    if (at >= this.at) return false;
    this.at = at;
    this.arm();
    return true;
  }

  dispose(): void {
    clearTimeout(this.timer);
  }

  private arm(): void {
    clearTimeout(this.timer);
    if (this.controller.signal.aborted) return;
    const ms = this.at - Date.now();
    if (ms <= 0) return this.controller.abort();
    // setTimeout holds at most 2^31-1 ms; a grace period is at most 300 s anyway.
    this.timer = setTimeout(() => this.controller.abort(), Math.min(ms, 2 ** 31 - 1));
  }
}
