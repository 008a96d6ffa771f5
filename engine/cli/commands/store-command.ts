// What the local-store commands (images, rmi, prune, load) share: running against the store in PODSMITH_HOME with
// the CLI's exit codes (0 ok, 1 the operation failed, 2 usage), and human-readable sizes and ages.
import { podsmithHome } from '../../home';
import { openStore, type ImageStore } from '../../image/store';
import { UsageError } from '../files';
import { runCommand } from '../run-command';
import type { Io } from '../io';

export function runStoreCommand(
  name: string,
  usage: string,
  io: Io,
  env: NodeJS.ProcessEnv,
  body: (store: () => Promise<ImageStore>) => Promise<number>,
): Promise<number> {
  return runCommand(name, usage, io, () => body(() => openStore(podsmithHome(env))));
}

/** Decimal units, as `docker images` shows them. */
export function formatSize(bytes: number | undefined): string {
  if (bytes === undefined) return '-';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return i === 0 ? `${v}B` : `${v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0)}${units[i]}`;
}

export function formatAge(iso: string | undefined, now = Date.now()): string {
  const t = iso ? Date.parse(iso) : NaN;
  if (!Number.isFinite(t)) return '-';
  const s = Math.max(0, Math.round((now - t) / 1000));
  const steps: Array<[number, string]> = [
    [60, 'second'],
    [60, 'minute'],
    [24, 'hour'],
    [7, 'day'],
    [4.35, 'week'],
    [12, 'month'],
    [Infinity, 'year'],
  ];
  let v = s;
  for (const [size, unit] of steps) {
    if (v < size) {
      const n = Math.floor(v);
      return n <= 1 && unit === 'second' ? 'just now' : `${n} ${unit}${n === 1 ? '' : 's'} ago`;
    }
    v /= size;
  }
  return '-';
}

/** Durations for flags: `90`, `30s`, `10m`, `2h`, `500ms`. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new UsageError(`${flag} takes a duration like 30s, 10m or 2h, not "${text}"`);
  const n = Number(m[1]);
  return n * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's'] ?? 1000);
}
