// Finds and reads the manifests a command was given. Reading is bounded: a file over the manifest limit is
// never read whole, and bytes that are not UTF-8 become a finding instead of mojibake.
import { openSync, readdirSync, readSync, closeSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LIMITS } from '../limits/table';

const MANIFEST_EXT = /\.(ya?ml|json)$/i;
const SKIP_DIRS = new Set(['node_modules', '.git', '.hg', '.svn']);

export class UsageError extends Error {}

/** Expands folders recursively into manifest files (.yaml, .yml, .json); a file named explicitly is always kept. */
export function collectFiles(paths: string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new UsageError(`${p}: no such file or directory`);
    }
    if (st.isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

function walk(dir: string, out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) walk(full, out);
    } else if (entry.isFile() && MANIFEST_EXT.test(entry.name)) out.push(full);
  }
}

export type ReadResult = { ok: true; text: string } | { ok: false; rule: string; message: string };

/** Reads a manifest: at most one byte past the limit, strict UTF-8, BOM dropped. */
export function readManifest(path: string): ReadResult {
  const fd = openSync(path, 'r');
  try {
    const size = statSync(path).size;
    if (size > LIMITS.manifestBytes) {
      return {
        ok: false,
        rule: 'manifest-too-large',
        message: `Manifest is ${size} bytes; the limit is ${LIMITS.manifestBytes} bytes (1 MiB). Split it into smaller files.`,
      };
    }
    const buf = Buffer.alloc(Math.min(size, LIMITS.manifestBytes) + 1);
    let n = 0;
    for (;;) {
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0 || n + got >= buf.length) {
        n += got;
        break;
      }
      n += got;
    }
    if (n > LIMITS.manifestBytes) {
      return { ok: false, rule: 'manifest-too-large', message: `Manifest grew past ${LIMITS.manifestBytes} bytes while being read.` };
    }
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(0, n));
    } catch {
      return { ok: false, rule: 'not-text', message: 'File is not valid UTF-8 text; a manifest must be UTF-8.' };
    }
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    return { ok: true, text };
  } finally {
    closeSync(fd);
  }
}
