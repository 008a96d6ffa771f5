// Helpers for the log tests: temp directories, CRI records at chosen times, draining streams.
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { formatCriRecord, formatCriTime, type LogStreamName } from '../../../engine/logs/cri-format';
import type { LogEntry } from '../../../engine/logs/line-joiner';

export const T0 = Date.UTC(2026, 10, 22, 8, 0, 0);

export function tempDir(prefix = 'podsmith-logs-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** One record at T0 + `ms`. */
export function rec(ms: number, stream: LogStreamName, content: string, partial = false): string {
  return formatCriRecord(formatCriTime(T0 + ms), stream, partial, content);
}

export async function readText(stream: Readable): Promise<string> {
  let s = '';
  for await (const chunk of stream) s += chunk.toString();
  return s;
}

export async function readEntries(stream: Readable): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const e of stream) out.push(e as LogEntry);
  return out;
}

/**
 * Writes `lines` stdout records `line-<n> <padding>` (n from 1), one millisecond apart from T0, in large
 * writes: a 200 MB file takes a couple of seconds.
 */
export function writeLargeLog(path: string, lines: number, padding = 60): void {
  const fd = openSync(path, 'w');
  const pad = 'x'.repeat(padding);
  try {
    let second = '';
    let buf: string[] = [];
    for (let n = 1; n <= lines; n++) {
      const ms = n - 1;
      if (ms % 1000 === 0) second = new Date(T0 + ms).toISOString().slice(0, 19);
      const frac = String(ms % 1000).padStart(3, '0');
      buf.push(`${second}.${frac}000000Z stdout F line-${n} ${pad}\n`);
      if (buf.length === 50_000) {
        writeSync(fd, buf.join(''));
        buf = [];
      }
    }
    if (buf.length) writeSync(fd, buf.join(''));
  } finally {
    closeSync(fd);
  }
}

/** Timestamp of line `n` written by writeLargeLog, in ms. */
export function largeLineMs(n: number): number {
  return T0 + n - 1;
}
