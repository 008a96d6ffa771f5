// When to lint after a change. Keystroke latency is what users feel, so a lone change is linted within two
// turns of the event loop, with no debounce. A burst of changes (a paste, a fast typist, a replayed edit
// script) is coalesced: if a newer version arrived while the run was waiting for its turn, it waits one more
// turn, so only the version that ends the burst is linted. MAX_DEFER_MS bounds that wait under a stream.
export const MAX_DEFER_MS = 50;

interface Pending {
  since: number;
  /** Latest version announced, and the version the scheduled turn was armed for. */
  latest: number;
  armed: number;
}

export class LintScheduler {
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly run: (uri: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  request(uri: string, version: number): void {
    const p = this.pending.get(uri);
    if (p) {
      p.latest = version;
      return;
    }
    // Armed with no version, so the first turn always looks once more: messages already queued behind this
    // one are handled in the turns between, and any of them for this document joins the run.
    this.pending.set(uri, { since: this.now(), latest: version, armed: Number.NaN });
    setImmediate(() => this.fire(uri));
  }

  cancel(uri: string): void {
    this.pending.delete(uri);
  }

  private fire(uri: string): void {
    const p = this.pending.get(uri);
    if (!p) return;
    if (p.latest !== p.armed && this.now() - p.since < MAX_DEFER_MS) {
      p.armed = p.latest;
      setImmediate(() => this.fire(uri));
      return;
    }
    this.pending.delete(uri);
    this.run(uri);
  }
}
