// Size-based log rotation for conmon-written logs, done from outside as the kubelet does with CRI-O:
// when the live file PATH reaches maxBytes, the older files shift (PATH.1 → PATH.2, …, the oldest is deleted),
// PATH is renamed to PATH.1, and conmon is asked to reopen its log, which creates a new PATH.
//
// Measured with conmon 2.1.6:
//   - it ignores SIGUSR1, but reopens on the message `2 0 0` written to the `ctl` FIFO in its bundle directory
//     (what CRI-O's ReopenContainerLog uses); until then it keeps writing to the renamed file, so nothing is lost
//     however late the reopen comes;
//   - its own `--log-size-max` replaces PATH with an empty file (the old content is deleted), and its byte
//     counter is not reset by a reopen, so it would keep cutting files this rotator had already rotated and lose
//     lines. It is therefore not used.
// The FIFO is opened before anything is renamed: when no conmon listens (the container has exited) nothing is
// rotated. So rotation is lossless, and files are at most about maxBytes plus what the container writes until the
// rotator notices (fs.watch on appends, with a bounded-interval check behind it). While no rotator runs (daemon
// stopped) the live file grows unrotated, as with a stopped kubelet; the next start rotates it at once.
import { closeSync, constants, openSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ChangeWaiter } from './change-waiter';
import { isMissing, rotatedLogPath } from './log-files';

export interface RotationPolicy {
  /** Size from which the live file is rotated. */
  maxBytes: number;
  /** Files kept, the live one included (kubelet's containerLogMaxFiles). */
  maxFiles: number;
}

// How long a reopen request may go unanswered before it is sent again (conmon answers within milliseconds).
const REASK_AFTER_MS = 10_000;

export const DEFAULT_ROTATION: RotationPolicy = { maxBytes: 10 * 1024 * 1024, maxFiles: 3 };

/** conmon arguments that make it write PATH in the CRI log format (no --log-size-max: see above). */
export function conmonLogArgs(path: string): string[] {
  return ['-l', `k8s-file:${path}`];
}

/** A way to ask the log's writer to reopen PATH, opened before a rotation starts. */
export interface ReopenChannel {
  request(): void;
  close(): void;
}

/**
 * Opens a channel to the log's writer, or returns undefined when no writer listens (the container has exited):
 * then nothing is rotated, so a finished log stays whole and in place.
 */
export type OpenReopenChannel = () => ReopenChannel | undefined;

/** The reopen channel of the conmon whose bundle is `bundleDir`: its `ctl` FIFO, opened without blocking. */
export function conmonReopenChannel(bundleDir: string): OpenReopenChannel {
  return () => {
    let fd: number;
    try {
      fd = openSync(join(bundleDir, 'ctl'), constants.O_WRONLY | constants.O_NONBLOCK);
    } catch (err) {
      // ENXIO: no conmon reads the FIFO; ENOENT: no FIFO (yet, or any more).
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENXIO' || isMissing(err)) return undefined;
      throw err;
    }
    return {
      request: () => void writeSync(fd, '2 0 0\n'),
      close: () => closeSync(fd),
    };
  };
}

export interface RotatorOptions {
  /** Longest time between two size checks when fs.watch reports nothing. */
  pollMs?: number;
  /** Called with errors of a check (the rotator keeps running). */
  onError?: (err: unknown) => void;
}

export class LogRotator {
  private waiter: ChangeWaiter | undefined;
  private readonly controller = new AbortController();
  private loop: Promise<void> | undefined;
  /** Rotations done (for tests and `describe`). */
  rotations = 0;
  private reopenAskedAt = 0;

  /** `reopen` reaches the writer, which starts a new PATH on request (for conmon: `conmonReopenChannel(bundle)`). */
  constructor(
    readonly path: string,
    private readonly reopen: OpenReopenChannel,
    readonly policy: RotationPolicy = DEFAULT_ROTATION,
    private readonly options: RotatorOptions = {},
  ) {
    if (!(policy.maxFiles >= 1)) throw new RangeError('maxFiles must be at least 1');
    if (!(policy.maxBytes > 0)) throw new RangeError('maxBytes must be positive');
  }

  /** Starts watching; the first check runs before this resolves (and finishes a rotation a crash interrupted). */
  async start(): Promise<this> {
    if (this.waiter) return this;
    const base = basename(this.path);
    // Events for PATH only: appends (size), and its creation or renaming.
    this.waiter = new ChangeWaiter(dirname(this.path), Math.max(10, this.options.pollMs ?? 1000), (_type, name) => name === null || name === base);
    this.checkReporting();
    this.loop = this.run(this.waiter);
    return this;
  }

  /**
   * Stops watching. Call it when the container's conmon has exited: a rotation that raced with the exit (conmon
   * took the reopen request but exited before acting on it) is then undone, so the last file is PATH again.
   */
  async stop(): Promise<void> {
    this.controller.abort();
    this.waiter?.close();
    await this.loop;
    try {
      this.settle();
    } catch (err) {
      this.options.onError?.(err);
    }
  }

  /** Without a writer and without PATH, shifts the files back: PATH.1 → PATH, PATH.2 → PATH.1, … */
  private settle(): void {
    if (statSync(this.path, { throwIfNoEntry: false })) return;
    if (!statSync(rotatedLogPath(this.path, 1), { throwIfNoEntry: false })) return;
    const channel = this.reopen();
    if (channel) {
      channel.close(); // a writer still listens: it will create PATH itself
      return;
    }
    for (const n of this.rotatedNumbers().sort((a, b) => a - b)) {
      renameSync(rotatedLogPath(this.path, n), n === 1 ? this.path : rotatedLogPath(this.path, n - 1));
    }
  }

  /**
   * One check: rotates when the live file is over size. Synchronous on purpose: a few metadata syscalls
   * (microseconds) in one event-loop turn, so a check never interleaves with another one or sees a half-done
   * shift of its own.
   */
  check(): void {
    const live = statSync(this.path, { throwIfNoEntry: false });
    if (!live) {
      // Renamed but no new file yet. Normally conmon is about to create it: asking again then would make it
      // reopen twice, replacing (deleting) the file its first reopen created, with what it wrote there. So ask
      // again only when no request went out for a long time: a daemon that died between rename and request.
      // (A conmon that has not created its log yet has nothing rotated and is left alone.)
      const quiet = Date.now() - this.reopenAskedAt > REASK_AFTER_MS;
      if (quiet && statSync(rotatedLogPath(this.path, 1), { throwIfNoEntry: false })) this.withChannel((c) => this.ask(c));
      return;
    }
    if (live.size < this.policy.maxBytes) return;
    this.withChannel((channel) => {
      if (this.policy.maxFiles === 1) {
        rmSync(this.path, { force: true }); // nothing is kept but the live file
      } else {
        this.shift();
        renameSync(this.path, rotatedLogPath(this.path, 1));
      }
      this.rotations++;
      try {
        this.ask(channel);
      } catch (err) {
        // The writer went away between opening the channel and the request: put its last file back in place.
        if (this.policy.maxFiles > 1 && !statSync(this.path, { throwIfNoEntry: false })) {
          renameSync(rotatedLogPath(this.path, 1), this.path);
        }
        throw err;
      }
    });
  }

  /** Runs `fn` with an open channel to the writer; does nothing when no writer listens. */
  private withChannel(fn: (channel: ReopenChannel) => void): void {
    const channel = this.reopen();
    if (!channel) return;
    try {
      fn(channel);
    } finally {
      channel.close();
    }
  }

  private ask(channel: ReopenChannel): void {
    this.reopenAskedAt = Date.now();
    channel.request();
  }

  /** PATH.n becomes PATH.n+1, from the oldest; those that would pass maxFiles-1 are deleted. */
  private shift(): void {
    const keepRotated = this.policy.maxFiles - 1;
    for (const n of this.rotatedNumbers().sort((a, b) => b - a)) {
      const from = rotatedLogPath(this.path, n);
      if (n + 1 > keepRotated) rmSync(from, { force: true });
      else renameSync(from, rotatedLogPath(this.path, n + 1));
    }
  }

  private rotatedNumbers(): number[] {
    const base = basename(this.path);
    const out: number[] = [];
    for (const name of readdirSync(dirname(this.path))) {
      if (!name.startsWith(base + '.')) continue;
      const suffix = name.slice(base.length + 1);
      if (/^\d{1,6}$/.test(suffix)) out.push(Number(suffix));
    }
    return out;
  }

  private async run(waiter: ChangeWaiter): Promise<void> {
    const signal = this.controller.signal;
    while (!signal.aborted) {
      await waiter.wait(signal);
      if (signal.aborted) break;
      this.checkReporting();
    }
  }

  private checkReporting(): void {
    try {
      this.check();
    } catch (err) {
      this.options.onError?.(err);
    }
  }
}

/** Starts a rotator for a container instance's live log path (before or after its conmon starts). */
export function startLogRotation(
  path: string,
  reopen: OpenReopenChannel,
  policy: RotationPolicy = DEFAULT_ROTATION,
  options: RotatorOptions = {},
): Promise<LogRotator> {
  return new LogRotator(path, reopen, policy, options).start();
}
