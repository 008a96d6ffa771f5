// One log tab's feed: a daemon logs stream per container shown (always with timestamps, so lines of several
// containers interleave by time and earlier pages join up exactly), lines into the window, notes for restarts
// and for the end (pod deleted or stopped, daemon gone). No VS Code here; the tab (log-documents.ts) renders
// the window when told that something changed.
import { finished } from 'node:stream/promises';
import type { DaemonClient, LogStream } from '../../engine/client/daemon-client';
import type { PodEvent } from '../../engine/pods/types';
import { keyOfMs, LineSplitter, mergeByTime, parseStamped, timeKey, type LogEntry } from './log-line';
import { LogWindow, type WindowLimits } from './log-window';

export interface LogSpec {
  host: string;
  pod: string;
  /** The containers shown, in the order their prefixes are numbered; one unless `all`. */
  containers: string[];
  /** Every container of the pod, interleaved by time and prefixed with its name. */
  all: boolean;
  follow: boolean;
  /** Lines per container at first. */
  tail: number;
  sinceSeconds?: number;
  previous: boolean;
}

export type SessionState =
  | { kind: 'loading' }
  /** Following: new lines keep coming. */
  | { kind: 'following' }
  /** Not following, and the whole requested part is shown. */
  | { kind: 'complete' }
  /** The log ended while following, or could not be read; `message` says why. */
  | { kind: 'ended'; message: string; failed: boolean };

/** How long the first render waits for more lines once they stop coming (fewer than `tail`, or none at all). */
const SETTLE_MS = 120;
const READY_MAX_MS = 3000;
/** Notes from events wait this long, so the lines written before the event are in first. */
const NOTE_DELAY_MS = 250;
/** How long the end of a follow may take to tell a deletion from a stop. */
const WHY_ENDED_MS = 10_000;
/** Extra lines asked for when paging back, for lines that arrived meanwhile. */
const PAGE_SLACK = 200;

interface Source {
  index: number;
  container: string;
  stream?: LogStream;
  splitter: LineSplitter;
  lastKey: string;
  received: number;
  done: boolean;
  error?: string;
}

export class LogSession {
  readonly window: LogWindow;
  state: SessionState = { kind: 'loading' };
  /** False once the start of the log (or of `since`) is in the window. */
  mayHaveEarlier = false;
  /** When set, the window could take no more earlier lines. */
  windowFull = false;
  readonly ready: Promise<void>;
  private markReady!: () => void;
  private isReady = false;
  private readonly sources: Source[];
  private readonly startedAt = Date.now();
  private settleTimer: NodeJS.Timeout | undefined;
  private readyTimer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => Promise<void>) | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private disposed = false;
  private paging: Promise<number> | undefined;
  /** The daemon said the pod was deleted. */
  private deleted = false;

  constructor(
    readonly spec: LogSpec,
    limits: WindowLimits,
    private readonly connect: () => Promise<DaemonClient>,
    /** Called whenever there is something new to render (lines, notes, a state change). */
    private readonly changed: () => void,
  ) {
    this.window = new LogWindow(limits);
    this.sources = spec.containers.map((container, index) => ({ index, container, splitter: new LineSplitter(), lastKey: keyOfMs(0), received: 0, done: false }));
    this.ready = new Promise((r) => (this.markReady = r));
  }

  /** Prefixes of the lines, per source, when several containers are shown. */
  get prefixes(): string[] | undefined {
    return this.spec.all ? this.spec.containers.map((c) => `[${c}] `) : undefined;
  }

  /** Lines that failed to come at all: every source failed before its first line (nothing to show). */
  get failedAtStart(): string | undefined {
    if (this.state.kind !== 'ended' || !this.state.failed) return undefined;
    return this.sources.every((s) => s.received === 0) && this.window.length === 0 ? this.state.message : undefined;
  }

  async start(): Promise<void> {
    this.readyTimer = setTimeout(() => this.becomeReady(), READY_MAX_MS);
    let client: DaemonClient;
    try {
      client = await this.connect();
    } catch (err) {
      return this.end(messageOf(err), true);
    }
    if (this.spec.follow) {
      // Restarts become notes in the log. A failed subscription only costs those notes.
      const seenExit = new Set<string>();
      void client
        .subscribe({ pod: this.spec.pod }, (e) => this.onEvent(e, seenExit))
        .then((unsub) => (this.disposed ? void unsub() : (this.unsubscribe = unsub)))
        .catch(() => undefined);
    }
    await Promise.all(this.sources.map((s) => this.open(client, s)));
    // An empty log sends nothing: render once it stays quiet.
    if (!this.isReady && !this.settleTimer) this.settleTimer = setTimeout(() => this.becomeReady(), SETTLE_MS);
  }

  /** Loads up to `page` lines from before the window's first line; resolves with how many went in. */
  loadEarlier(page: number): Promise<number> {
    this.paging ??= this.page(page).finally(() => (this.paging = undefined));
    return this.paging;
  }

  dispose(): void {
    this.disposed = true;
    for (const s of this.sources) s.stream?.close();
    for (const t of this.timers) clearTimeout(t);
    clearTimeout(this.settleTimer);
    clearTimeout(this.readyTimer);
    void this.unsubscribe?.();
    this.markReady();
  }

  private async open(client: DaemonClient, s: Source): Promise<void> {
    const { pod, follow, tail, previous } = this.spec;
    try {
      s.stream = await client.logs({ pod, container: s.container, follow, tail, timestamps: true, previous, ...this.since() });
    } catch (err) {
      s.done = true;
      s.error = messageOf(err);
      return this.sourceEnded();
    }
    if (this.disposed) return s.stream.close();
    const { stream, done } = s.stream;
    stream.on('data', (chunk: Buffer) => this.lines(s, s.splitter.push(chunk)));
    stream.on('end', () => this.lines(s, s.splitter.end()));
    // Ended once the daemon said so and every line was read (the end's note goes after the last line).
    void Promise.all([done.catch((err: unknown) => void (s.error = messageOf(err))), finished(stream).catch(() => undefined)]).then(() => {
      s.done = true;
      this.sourceEnded();
    });
  }

  private since(): { sinceSeconds?: number } {
    if (this.spec.sinceSeconds === undefined) return {};
    // "since 5m" keeps meaning the 5 minutes before the tab was opened, for later pages too.
    return { sinceSeconds: this.spec.sinceSeconds + Math.ceil((Date.now() - this.startedAt) / 1000) };
  }

  private lines(s: Source, lines: string[]): void {
    if (lines.length === 0 || this.disposed) return;
    const entries: LogEntry[] = new Array(lines.length);
    for (let i = 0; i < lines.length; i++) {
      const e = parseStamped(lines[i]!, s.index, s.lastKey);
      s.lastKey = e.key;
      entries[i] = e;
    }
    s.received += entries.length;
    // Lines that come faster than the tab shows them are not held back: the window keeps the newest, so the tab
    // stays current (holding the stream back made it fall minutes behind a burst, measured).
    this.window.add(entries);
    if (this.isReady) return this.changed();
    clearTimeout(this.settleTimer);
    if (this.sources.every((x) => x.done || x.received >= this.spec.tail)) this.becomeReady();
    else this.settleTimer = setTimeout(() => this.becomeReady(), SETTLE_MS);
  }

  /** The first render: the snapshot is in. With several containers, the window starts where all are complete. */
  private becomeReady(): void {
    if (this.isReady) return;
    this.isReady = true;
    clearTimeout(this.settleTimer);
    clearTimeout(this.readyTimer);
    const cut = this.sources.filter((s) => s.received >= this.spec.tail && this.spec.tail > 0);
    this.mayHaveEarlier = cut.length > 0;
    if (this.spec.all && cut.length > 0) {
      // A container whose tail was cut has nothing in the window before its first line; lines of the others
      // older than that would suggest it was silent then.
      this.window.take();
      const firsts = cut.map((s) => this.window.first(s.index)?.key).filter((k): k is string => !!k);
      const from = firsts.reduce((a, b) => (a > b ? a : b), '');
      this.window.dropBefore(from);
    }
    if (this.state.kind === 'loading') this.state = this.spec.follow ? { kind: 'following' } : { kind: 'complete' };
    this.markReady();
    this.changed();
  }

  private sourceEnded(): void {
    if (this.disposed || !this.sources.every((s) => s.done)) return;
    const errors = this.sources.filter((s) => s.error);
    if (errors.length > 0) {
      const message = errors.map((s) => (this.spec.all ? `container ${s.container}: ${s.error}` : s.error!)).join('; ');
      return this.end(message, true);
    }
    if (!this.spec.follow) {
      this.state = { kind: 'complete' };
      this.becomeReady();
      return this.changed();
    }
    void this.whyEnded().then((why) => this.end(why, false));
  }

  /**
   * A follow ends when the pod will write nothing more: say what became of it. The follower stops as soon as a
   * deletion starts, so the pod may still be there, being torn down, for a moment.
   */
  private async whyEnded(): Promise<string> {
    const deadline = Date.now() + WHY_ENDED_MS;
    let last = 'the log ended';
    while (!this.disposed) {
      if (this.deleted) break;
      try {
        const pod = await (await this.connect()).getPod(this.spec.pod);
        last = `pod ${pod.name} stopped (${pod.phase}${pod.reason ? `, ${pod.reason}` : ''}): the log ends here`;
        if (pod.reason === 'Stopped' || Date.now() > deadline) return last;
      } catch (err) {
        if ((err as { code?: string }).code === 'NOT_FOUND') break;
        return `the log ended (${messageOf(err)})`;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return `pod ${this.spec.pod} was deleted: the log ends here`;
  }

  private end(message: string, failed: boolean): void {
    if (this.disposed) return;
    const last = this.window.last();
    this.window.add([{ time: '', key: last ? last.key : keyOfMs(Date.now()), text: failed ? `the log stopped: ${message}` : message, source: -1 }]);
    this.state = { kind: 'ended', message, failed };
    this.becomeReady();
    this.changed();
  }

  private onEvent(e: PodEvent, seenExit: Set<string>): void {
    if (e.type === 'pod' && e.reason === 'Deleted') this.deleted = true;
    if (e.type !== 'container' || this.disposed) return;
    if (!this.spec.containers.includes(e.container)) return;
    let text: string | undefined;
    if (e.state === 'terminated') {
      seenExit.add(e.container);
      text = `container ${e.container} exited with code ${e.exitCode ?? '?'}${e.reason ? ` (${e.reason})` : ''}`;
    } else if (e.state === 'running' && seenExit.has(e.container)) {
      text = `container ${e.container} started again`;
    }
    if (!text) return;
    const note: LogEntry = { time: e.time, key: timeKey(e.time) ?? keyOfMs(Date.now()), text, source: -1 };
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (this.disposed) return;
      this.window.add([note]);
      this.changed();
    }, NOTE_DELAY_MS);
    this.timers.add(t);
  }

  private async page(page: number): Promise<number> {
    if (!this.mayHaveEarlier || this.windowFull) return 0;
    const client = await this.connect();
    const first = this.window.first();
    if (!first) return 0;
    const results = await Promise.all(
      this.sources.map(async (s) => {
        const want = this.window.countOf(s.index) + this.window.pendingLength + page + PAGE_SLACK;
        const all = await this.read(client, s, want);
        const mine = this.window.first(s.index);
        let end = mine ? lastIndexOf(all, mine) : -1;
        if (end < 0) end = all.findIndex((e) => e.key >= (mine ?? first).key);
        const before = all.slice(0, end < 0 ? all.length : end).filter((e) => e.key <= first.key);
        return { before, cut: all.length >= want, oldest: all[0]?.key };
      }),
    );
    const candidates = mergeByTime(results.map((r) => r.before));
    let merged = candidates.slice(-page);
    // Where a container's answer was cut, older lines of the others would suggest it was silent then.
    const from = results.filter((r) => r.cut && r.oldest).reduce((a, r) => (r.oldest! > a ? r.oldest! : a), '');
    if (from) merged = merged.filter((e) => e.key >= from);
    const taken = this.window.prepend(merged);
    this.windowFull = taken < merged.length;
    this.mayHaveEarlier = results.some((r) => r.cut) || candidates.length > page;
    if (taken > 0) this.changed();
    return taken;
  }

  /** A whole (not followed) read of the last `tail` lines of one container. */
  private async read(client: DaemonClient, s: Source, tail: number): Promise<LogEntry[]> {
    const stream = await client.logs({ pod: this.spec.pod, container: s.container, tail, timestamps: true, previous: this.spec.previous, ...this.since() });
    const splitter = new LineSplitter();
    const out: LogEntry[] = [];
    let key = keyOfMs(0);
    const add = (lines: string[]): void => {
      for (const l of lines) {
        const e = parseStamped(l, s.index, key);
        key = e.key;
        out.push(e);
      }
    };
    for await (const chunk of stream.stream) add(splitter.push(chunk as Buffer));
    add(splitter.end());
    await stream.done;
    return out;
  }
}

function lastIndexOf(list: readonly LogEntry[], e: LogEntry): number {
  for (let i = list.length - 1; i >= 0; i--) if (list[i]!.key === e.key && list[i]!.text === e.text) return i;
  return -1;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
