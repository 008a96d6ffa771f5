// Byte-stream helpers for tests of connections (dial sessions, port-forward, agent streams).
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';

/** Every byte until the stream ends; rejects on its error. */
export function readAll(r: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    r.on('data', (b: Buffer) => parts.push(b));
    r.on('end', () => resolve(Buffer.concat(parts)));
    r.on('error', reject);
  });
}

/** Resolves when `s` has closed, whatever the reason (events.once would reject on its 'error'). */
export const closed = (s: { destroyed: boolean; once(e: 'close', f: () => void): unknown }): Promise<void> =>
  s.destroyed ? Promise.resolve() : new Promise<void>((r) => void s.once('close', () => r()));

export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
