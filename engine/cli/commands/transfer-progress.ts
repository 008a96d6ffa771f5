// Progress output for `podsmith pull` and `push`. On a terminal: one line per blob (short digest, a bar,
// bytes/total, percent), redrawn in place at most every 100 ms. Otherwise: one plain line per event (start,
// retry, done), never per chunk, so logs stay readable.
import type { Io } from '../io';
import type { PullProgress } from '../../image/types';

const REDRAW_MS = 100;
const BAR = 24;

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`;
}

export const shortDigest = (d: string): string => d.replace(/^sha256:/, '').slice(0, 12);

interface Row {
  digest: string;
  bytes: number;
  size: number;
  state: 'waiting' | 'active' | 'done' | 'cached';
  note?: string;
}

export interface ProgressReporter {
  onProgress(e: PullProgress): void;
  /** Final redraw (TTY) so the table shows the end state. */
  finish(): void;
}

export function createProgressReporter(io: Io, opts: { tty: boolean; verb: 'pull' | 'push'; now?: () => number }): ProgressReporter {
  return opts.tty ? new TtyReporter(io, opts.verb, opts.now ?? Date.now) : new PlainReporter(io, opts.verb);
}

class PlainReporter implements ProgressReporter {
  constructor(
    private readonly io: Io,
    private readonly verb: 'pull' | 'push',
  ) {}
  onProgress(e: PullProgress): void {
    switch (e.type) {
      case 'resolve':
        this.io.out(`${e.reference}: resolved to ${e.digest}\n`);
        break;
      case 'blob-start':
        this.io.out(`${shortDigest(e.digest)}: ${this.verb === 'pull' ? 'downloading' : 'uploading'} ${formatBytes(e.size)}\n`);
        break;
      case 'retry':
        this.io.out(`${e.digest ? shortDigest(e.digest) + ': ' : ''}retry ${e.attempt}: ${e.reason}\n`);
        break;
      case 'blob-done':
        this.io.out(`${shortDigest(e.digest)}: ${e.cached ? (this.verb === 'pull' ? 'already present' : 'already in the registry') : 'done'}\n`);
        break;
      default:
        break;
    }
  }
  finish(): void {}
}

class TtyReporter implements ProgressReporter {
  private readonly rows: Row[] = [];
  private drawn = 0;
  private last = 0;

  constructor(
    private readonly io: Io,
    private readonly verb: 'pull' | 'push',
    private readonly now: () => number,
  ) {}

  private row(digest: string): Row {
    let r = this.rows.find((x) => x.digest === digest);
    if (!r) {
      r = { digest, bytes: 0, size: 0, state: 'waiting' };
      this.rows.push(r);
    }
    return r;
  }

  onProgress(e: PullProgress): void {
    let force = false;
    switch (e.type) {
      case 'resolve':
        this.log(`${e.reference}: resolved to ${e.digest}`);
        return;
      case 'blob-start': {
        const r = this.row(e.digest);
        Object.assign(r, { size: e.size, state: 'active', note: undefined });
        force = true;
        break;
      }
      case 'blob-progress': {
        const r = this.row(e.digest);
        Object.assign(r, { bytes: e.bytes, size: e.size, state: 'active', note: undefined });
        break;
      }
      case 'retry':
        if (e.digest) this.row(e.digest).note = `retry ${e.attempt}: ${e.reason}`;
        else this.log(`retry ${e.attempt}: ${e.reason}`);
        force = true;
        break;
      case 'blob-done': {
        const r = this.row(e.digest);
        r.state = e.cached ? 'cached' : 'done';
        r.note = undefined;
        if (!e.cached) r.bytes = r.size;
        force = true;
        break;
      }
      default:
        return;
    }
    if (force || this.now() - this.last >= REDRAW_MS) this.draw();
  }

  finish(): void {
    this.draw();
  }

  private line(r: Row): string {
    const id = shortDigest(r.digest);
    if (r.state === 'cached') return `${id}  ${this.verb === 'pull' ? 'already present' : 'already in the registry'}`;
    if (r.state === 'waiting') return `${id}  waiting`;
    const pct = r.size > 0 ? Math.floor((r.bytes / r.size) * 100) : 100;
    const fill = Math.round((pct / 100) * BAR);
    const bar = '='.repeat(Math.max(0, fill - 1)) + (fill > 0 ? (pct >= 100 ? '=' : '>') : '') + ' '.repeat(BAR - fill);
    const tail = r.state === 'done' ? 'done' : (r.note ?? '');
    return `${id}  [${bar}] ${formatBytes(r.bytes)} / ${formatBytes(r.size)} ${String(pct).padStart(3)}%${tail ? '  ' + tail : ''}`;
  }

  /** Redraws the table in place: cursor up over the old table, clear below, print it again. */
  private draw(): void {
    this.last = this.now();
    const up = this.drawn > 0 ? `\x1b[${this.drawn}F\x1b[J` : '';
    this.io.out(up + this.rows.map((r) => this.line(r) + '\n').join(''));
    this.drawn = this.rows.length;
  }

  /** A message above the table. */
  private log(text: string): void {
    const up = this.drawn > 0 ? `\x1b[${this.drawn}F\x1b[J` : '';
    this.io.out(`${up}${text}\n`);
    this.drawn = 0;
    if (this.rows.length) this.draw();
  }
}
