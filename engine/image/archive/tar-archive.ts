// Image tarballs (they may be gzip- or zstd-compressed, as `docker save | gzip` makes):
//   - oci-archive: an OCI layout packed into a tar;
//   - docker-archive (`docker save`): manifest.json + config JSON + layer tars, legacy layout or (docker 25+)
//     an OCI layout with a manifest.json beside it.
// An archive may come from anyone, so it is read in two passes and nothing is taken on trust:
//   1. catalogTarball lists every entry and keeps only JSON documents in memory (index.json, manifest.json,
//      config files, and blobs that are small JSON objects: manifests, indexes, configs), within a cap on
//      each document's size, on their number and on their total;
//   2. importFromTarball stores the blobs and layer tars that the index and manifests reach (see
//      archive-needs.ts), each through the store's verifying writer, and nothing else.
// Every error names the archive entry it is about.
import { createReadStream } from 'node:fs';
import { posix } from 'node:path';
import type * as tar from 'tar-stream';
import type { ImageStore } from '../store';
import { isDigest } from '../store/digest';
import { decompressFile, sniffFile } from '../unpack/decompress';
import { entryComponents } from '../unpack/entry-path';
import { DEFAULT_UNPACK_LIMITS } from '../unpack/limits';
import { forEachTarEntry, TarReadError } from '../unpack/tar-reader';
import { ImageError, type Digest } from '../types';

const MiB = 1024 * 1024;
const MAX_ENTRIES = 100_000;
const MAX_LINK_HOPS = 40;

export interface ArchiveLimits {
  /** Largest blob or layer tar imported. */
  maxBlobBytes: number;
  /** Largest JSON document kept in memory; a named JSON file over it is an error. */
  jsonBytes: number;
  /** How many JSON documents are kept, and how many bytes of them in all. */
  jsonEntries: number;
  jsonTotalBytes: number;
}

export const DEFAULT_ARCHIVE_LIMITS: Readonly<ArchiveLimits> = Object.freeze({
  maxBlobBytes: 512 * MiB,
  jsonBytes: 1 * MiB,
  jsonEntries: 1024,
  jsonTotalBytes: 32 * MiB,
});

export interface ArchiveContents {
  /** The archive file, for messages. */
  file: string;
  /** JSON documents by normalized path (`index.json`, `manifest.json`, `<hex>.json`, `blobs/sha256/<hex>`). */
  json: Map<string, Buffer>;
  /** Every regular file in the archive, by path: its size. */
  files: Map<string, number>;
  /** Symlinks and hardlinks between archive paths (docker save links duplicate layers). */
  links: Map<string, string>;
  /** Blobs of the archive now in the store. */
  blobs: Set<Digest>;
  /** Layer tars imported by content (their digest is known once read), by path. */
  imported: Map<string, { digest: Digest; size: number }>;
}

/** What the second pass imports: blobs by digest, layer tars by archive path. */
export interface ArchiveNeeds {
  digests: Set<Digest>;
  tars: Set<string>;
}

const BLOB_PATH = /^blobs\/sha256\/([a-f0-9]{64})$/;
const NAMED_JSON = (path: string): boolean => path.endsWith('.json') || path === 'oci-layout' || path === 'repositories';

export function entryError(contents: { file: string }, path: string, what: string, code: string): ImageError {
  return new ImageError(`${contents.file}: archive entry ${JSON.stringify(path)} ${what}`, code);
}

/** Runs `onEntry` for every entry of the (maybe compressed) archive, with normalized paths. */
async function eachEntry(file: string, onEntry: (path: string, h: tar.Header, body: AsyncIterable<Uint8Array>) => Promise<void>): Promise<void> {
  const compression = await sniffFile(file);
  const source = compression === 'none' ? (createReadStream(file) as AsyncIterable<Uint8Array>) : decompressFile(file, compression, DEFAULT_UNPACK_LIMITS);
  let entries = 0;
  try {
    await forEachTarEntry(source, async (h, body) => {
      if (++entries > MAX_ENTRIES) throw entryError({ file }, h.name, `is one entry too many: an archive may hold ${MAX_ENTRIES}`, 'TOO_LARGE');
      // Names are never used as host paths here, but the same strict rules keep lookups unambiguous.
      const path = entryComponents(h.name, DEFAULT_UNPACK_LIMITS).join('/');
      await onEntry(path, h, body);
    });
  } catch (err) {
    if (err instanceof TarReadError) {
      const inner = err.original;
      if (inner instanceof ImageError) throw inner;
      throw new ImageError(`${file} is not a readable image archive${err.entry ? ` (at entry ${JSON.stringify(err.entry)})` : ''}: ${(inner as Error).message}`, 'BAD_ARCHIVE');
    }
    throw err;
  }
}

/**
 * Reads a body of at most `limit` bytes; undefined when it is longer, or when it does not start like a JSON
 * object. The body is read to its end either way (leaving a tar entry's stream early would end it).
 */
async function readJsonBody(body: AsyncIterable<Uint8Array>, limit: number, mustLookLikeJson: boolean): Promise<Buffer | undefined> {
  const parts: Buffer[] = [];
  let n = 0;
  let keep = true;
  let checked = !mustLookLikeJson;
  for await (const c of body) {
    if (!keep) continue;
    n += c.length;
    if (n > limit) {
      keep = false;
      continue;
    }
    const chunk = Buffer.from(c);
    if (!checked) {
      const first = chunk.toString('latin1').trimStart();
      if (first.length > 0) {
        checked = true;
        if (first[0] !== '{') {
          keep = false;
          continue;
        }
      }
    }
    parts.push(chunk);
  }
  return keep && checked ? Buffer.concat(parts) : undefined;
}

/** Pass 1: the list of entries and the JSON documents, within `limits`. Stores nothing. */
export async function catalogTarball(file: string, limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS): Promise<ArchiveContents> {
  const out: ArchiveContents = { file, json: new Map(), files: new Map(), links: new Map(), blobs: new Set(), imported: new Map() };
  let jsonTotal = 0;
  const keep = (path: string, bytes: Buffer) => {
    if (out.json.size + 1 > limits.jsonEntries)
      throw entryError(out, path, `is one JSON document too many: an archive may hold ${limits.jsonEntries}`, 'TOO_LARGE');
    jsonTotal += bytes.length;
    if (jsonTotal > limits.jsonTotalBytes)
      throw entryError(out, path, `takes the archive's JSON documents over ${limits.jsonTotalBytes} bytes in all`, 'TOO_LARGE');
    out.json.set(path, bytes);
  };
  await eachEntry(file, async (path, h, body) => {
    if (h.type === 'symlink' || h.type === 'link') {
      const target = h.linkname ?? '';
      const resolved = h.type === 'symlink' ? posix.normalize(posix.join(posix.dirname(path), target)) : posix.normalize(target);
      out.links.set(path, resolved.replace(/^\.\//, ''));
      return;
    }
    if (h.type !== 'file' && h.type !== 'contiguous-file') return;
    const size = h.size ?? 0;
    out.files.set(path, size);
    if (BLOB_PATH.test(path)) {
      // Manifests, indexes and configs are small JSON objects; layers are not kept (and not read here).
      if (size > limits.jsonBytes) return;
      const bytes = await readJsonBody(body, limits.jsonBytes, true);
      if (bytes) keep(path, bytes);
      return;
    }
    if (NAMED_JSON(path)) {
      if (size > limits.jsonBytes) throw entryError(out, path, `is ${size} bytes; a JSON document may have ${limits.jsonBytes}`, 'TOO_LARGE');
      const bytes = await readJsonBody(body, limits.jsonBytes, false);
      if (!bytes) throw entryError(out, path, `is over ${limits.jsonBytes} bytes`, 'TOO_LARGE');
      keep(path, bytes);
    }
  });
  return out;
}

/** Writes a whole blob from the archive; a partial left by an interrupted download is dropped, not resumed. */
async function storeWhole(store: ImageStore, d: Digest, size: number, body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<void> {
  let w = await store.blobs.writer(d, size);
  if (w.offset === size) return w.commit();
  if (w.offset > 0) {
    await w.abort();
    w = await store.blobs.writer(d, size);
  }
  try {
    for await (const c of body) await w.write(c);
    await w.commit();
  } catch (err) {
    await w.abort();
    throw err;
  }
}

const blobPath = (d: Digest): string => `blobs/sha256/${d.slice('sha256:'.length)}`;

/**
 * Pass 2: stores what `needs` names and the archive holds. Documents already in memory are written from there;
 * the archive is read again only for the rest (layers). Needed blobs the archive lacks are left to the caller.
 */
export async function importFromTarball(store: ImageStore, contents: ArchiveContents, needs: ArchiveNeeds, limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS): Promise<void> {
  const pending = new Set<string>();
  for (const d of needs.digests) {
    if (!isDigest(d)) continue;
    const path = blobPath(d);
    if (!contents.files.has(path)) continue;
    if (await store.blobs.has(d)) {
      contents.blobs.add(d);
      continue;
    }
    const inMemory = contents.json.get(path);
    if (inMemory) {
      await storeWhole(store, d, inMemory.length, [inMemory]);
      contents.blobs.add(d);
    } else pending.add(path);
  }
  for (const t of needs.tars) if (contents.files.has(t) && !contents.imported.has(t)) pending.add(t);
  if (pending.size === 0) return;
  await eachEntry(contents.file, async (path, h, body) => {
    if (!pending.has(path) || (h.type !== 'file' && h.type !== 'contiguous-file')) return;
    const size = h.size ?? 0;
    if (size > limits.maxBlobBytes) throw entryError(contents, path, `is ${size} bytes; the limit is ${limits.maxBlobBytes}`, 'TOO_LARGE');
    const blob = BLOB_PATH.exec(path);
    if (blob) {
      const d = 'sha256:' + blob[1];
      await storeWhole(store, d, size, body);
      contents.blobs.add(d);
    } else {
      contents.imported.set(path, await store.blobs.importStream(body, limits.maxBlobBytes));
    }
    pending.delete(path);
  });
}

/** Follows archive links from `path` to a real entry. */
export function resolveArchivePath(contents: ArchiveContents, path: string): string {
  let p = posix.normalize(path).replace(/^\.\//, '');
  for (let i = 0; i < MAX_LINK_HOPS && contents.links.has(p); i++) p = contents.links.get(p)!;
  return p;
}

/** The stored digest for an archive path (`blobs/sha256/<hex>` or an imported file). */
export function storedDigest(contents: ArchiveContents, path: string): Digest | undefined {
  const p = resolveArchivePath(contents, path);
  const blob = BLOB_PATH.exec(p);
  if (blob && contents.blobs.has('sha256:' + blob[1])) return 'sha256:' + blob[1];
  const imported = contents.imported.get(p);
  return imported && isDigest(imported.digest) ? imported.digest : undefined;
}
