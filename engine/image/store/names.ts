// Image names -> manifest digests, in index.json. Readers never lock (the file is replaced by rename, so they
// see the old or the new version whole); writers serialise on locks/names.lock.
import { readFile } from 'node:fs/promises';
import { formatReference, parseReference } from '../reference';
import { ImageError, type Digest } from '../types';
import { writeFileAtomic } from './atomic-file';
import { isDigest } from './digest';
import { withLock } from './lock';
import type { StorePaths } from './paths';

export interface NameEntry {
  digest: Digest;
  /** When the name was (last) pointed at this digest, ISO 8601. */
  taggedAt: string;
}

interface IndexFile {
  schemaVersion: 1;
  images: Record<string, NameEntry>;
}

/**
 * The key an image is stored under: the canonical reference (`docker.io/library/busybox:latest`,
 * `host/r@sha256:…`), or a bare `sha256:…` for an image loaded without any name.
 */
export function canonicalName(name: string): string {
  if (isDigest(name)) return name;
  return formatReference(parseReference(name));
}

export async function readNames(paths: StorePaths): Promise<Record<string, NameEntry>> {
  let text: string;
  try {
    text = await readFile(paths.index, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
  let parsed: IndexFile;
  try {
    parsed = JSON.parse(text) as IndexFile;
  } catch (err) {
    throw new ImageError(`${paths.index} is not valid JSON (${(err as Error).message}); fix or remove it`, 'CORRUPT_STORE');
  }
  const out: Record<string, NameEntry> = {};
  for (const [name, e] of Object.entries(parsed.images ?? {})) if (e && isDigest(e.digest)) out[name] = e;
  return out;
}

/** Applies `change` to the names under the names lock and writes the result atomically. */
export async function updateNames<T>(paths: StorePaths, change: (images: Record<string, NameEntry>) => T): Promise<T> {
  return withLock(paths.namesLock, 'exclusive', async () => {
    const images = await readNames(paths);
    const result = change(images);
    const file: IndexFile = { schemaVersion: 1, images };
    await writeFileAtomic(paths.index, JSON.stringify(file, null, 2) + '\n', 0o600);
    return result;
  });
}
