// Telling "the command could not be started" from the command's own output. When `runc exec` cannot start
// the command (not found, not executable), it writes its own log line to the same stderr (or terminal) the
// command would write to and exits 255, which a user would take for the command's. runc writes its pid file
// only once the command runs, so output that arrives before the pid file exists is held back: if the command
// started after all, it is passed on unchanged; if it never did, the runtime's line becomes one clear message
// (`exec: "foo": executable file not found in $PATH`) and the exit code a shell would give (127 not found,
// 126 cannot be run).
import { existsSync } from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';
import { runtimeMessage } from '../../runtime';

export interface StartFailure {
  /** One line for the user. */
  message: string;
  /** 127: the command does not exist; 126: it exists but cannot be run (a shell's codes). */
  exitCode: 126 | 127;
}

const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]/g;
const PREFIXES = [/^exec failed:\s*/, /^unable to start container process:\s*/, /^OCI runtime exec failed:\s*/];

/** The runtime's reason from what it printed (logrus text, a terminal's `ERRO[0000] ...`, or crun's plain line). */
export function startFailure(printed: string): StartFailure | undefined {
  const text = printed.replace(ANSI, '').replace(/\r/g, '').trim();
  if (!text) return undefined;
  let message = runtimeMessage(text)
    .split('\n')
    .map((l) => l.replace(/^(?:ERRO|FATA)\[\d+\]\s*/, '').trim())
    .filter(Boolean)
    .join('; ');
  for (let changed = true; changed; ) {
    changed = false;
    for (const p of PREFIXES) {
      const next = message.replace(p, '');
      if (next !== message) {
        message = next;
        changed = true;
      }
    }
  }
  if (!message) return undefined;
  const notFound = /not found|no such file or directory/i.test(message);
  return { message, exitCode: notFound ? 127 : 126 };
}

const POLL_MS = 5;

/**
 * A pass-through for the stream runc's error would appear on. Until `pidFile` exists, chunks are held (and the
 * source paused); `decide` is called once the exec process closed and says whether the command ever started.
 */
export class StartGate extends Transform {
  private held: Buffer[] = [];
  private open = false;
  private waiting: { cb: TransformCallback; timer: NodeJS.Timeout } | undefined;
  /** The process ended without starting the command: what is left arrives from runc alone. */
  private neverStarted = false;
  private onClosed: ((started: boolean) => void) | undefined;
  private readonly closedPromise = new Promise<boolean>((r) => (this.onClosed = r));
  private decided!: (f: StartFailure | undefined) => void;
  /** What the runtime said when the command never started (undefined: it started, or nothing to say). */
  readonly failure = new Promise<StartFailure | undefined>((r) => (this.decided = r));

  /** `eol`: a raw terminal needs "\r\n". */
  constructor(
    private readonly pidFile: string,
    private readonly eol = '\n',
  ) {
    super();
  }

  /** The exec process ended; `started`: its pid file existed by then. */
  processClosed(started: boolean): void {
    if (started) this.release();
    else {
      this.neverStarted = true;
      this.unblock();
    }
    this.onClosed?.(started);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.open || this.startedNow()) {
      this.release();
      this.push(chunk);
      return cb();
    }
    this.held.push(chunk);
    if (this.neverStarted) return cb();
    // Holding the callback keeps the source paused: at most one chunk waits here.
    const timer = setInterval(() => {
      if (this.startedNow()) this.release();
    }, POLL_MS);
    this.waiting = { cb, timer };
  }

  override _flush(cb: TransformCallback): void {
    if (this.open) {
      this.decided(undefined);
      return cb();
    }
    void this.closedPromise.then((started) => {
      const failure = started ? undefined : startFailure(Buffer.concat(this.held).toString('utf8'));
      if (failure) {
        this.held = [];
        this.push(failure.message + this.eol);
      } else this.release();
      this.decided(failure);
      cb();
    });
  }

  private startedNow(): boolean {
    return existsSync(this.pidFile);
  }

  private release(): void {
    this.open = true;
    for (const b of this.held.splice(0)) this.push(b);
    this.unblock();
  }

  private unblock(): void {
    const w = this.waiting;
    this.waiting = undefined;
    if (w) {
      clearInterval(w.timer);
      w.cb();
    }
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    if (this.waiting) clearInterval(this.waiting.timer);
    this.decided(undefined);
    cb(err);
  }
}
