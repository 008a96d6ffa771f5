// Image tarballs, read in one pass (they may be gzip- or zstd-compressed, as `docker save | gzip` makes):
//   - oci-archive: an OCI layout packed into a tar;
//   - docker-archive (`docker save`): manifest.json + config JSON + layer tars, legacy layout or (docker 25+)
//     an OCI layout with a manifest.json beside it.
// Blobs named by digest go straight through the verifying BlobSink; legacy layer tars, whose digest is only
// known once read, are imported by content. Small JSON files are kept in memory (1 MiB each at most).
import { createReadStream } from 'node:fs';
import { posix } from 'node:path';
import type { ImageStore } from '../store';
import { isDigest } from '../store/digest';
import { decompressFile, sniffFile } from '../unpack/decompress';
import { entryComponents } from '../unpack/entry-path';
import { DEFAULT_UNPACK_LIMITS } from '../unpack/limits';
import { forEachTarEntry, TarReadError } from '../unpack/tar-reader';
import { ImageError, type Digest } from '../types';

const MAX_JSON = 1024 * 1024;
const MAX_ENTRIES = 100_000;
const MAX_LINK_HOPS = 40;

export interface ArchiveContents {
  /** Small JSON files by normalized path (`index.json`, `manifest.json`, `<hex>.json`, ...). */
  json: Map<string, Buffer>;
  /** Files imported by content (legacy layer tars), by path. */
  imported: Map<string, { digest: Digest; size: number }>;
  /** Blobs stored from `blobs/sha256/<hex>`. */
  blobs: Set<Digest>;
  /** Symlinks and hardlinks between archive paths (docker save links duplicate layers). */
  links: Map<string, string>;
}

async function readAll(body: AsyncIterable<Uint8Array>, limit: number, name: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of body) {
    n += c.length;
    if (n > limit) throw new ImageError(`${name} in the archive is larger than ${limit} bytes`, 'TOO_LARGE');
    parts.push(Buffer.from(c));
  }
  return Buffer.concat(parts);
}

/** Writes a whole blob from the archive; a partial left by an interrupted download is dropped, not resumed. */
async function storeWhole(store: ImageStore, d: Digest, size: number, body: AsyncIterable<Uint8Array>): Promise<void> {
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

export async function readImageTarball(store: ImageStore, file: string, maxBlobBytes: number): Promise<ArchiveContents> {
  const out: ArchiveContents = { json: new Map(), imported: new Map(), blobs: new Set(), links: new Map() };
  const compression = await sniffFile(file);
  const source = compression === 'none' ? (createReadStream(file) as AsyncIterable<Uint8Array>) : decompressFile(file, compression, DEFAULT_UNPACK_LIMITS);
  let entries = 0;
  try {
    await forEachTarEntry(source, async (h, body) => {
      if (++entries > MAX_ENTRIES) throw new ImageError(`the archive has more than ${MAX_ENTRIES} entries`, 'TOO_LARGE');
      // Names are never used as host paths here, but the same strict rules keep lookups unambiguous.
      const path = entryComponents(h.name, DEFAULT_UNPACK_LIMITS).join('/');
      if (h.type === 'symlink' || h.type === 'link') {
        const target = h.linkname ?? '';
        const resolved = h.type === 'symlink' ? posix.normalize(posix.join(posix.dirname(path), target)) : posix.normalize(target);
        out.links.set(path, resolved.replace(/^\.\//, ''));
        return;
      }
      if (h.type !== 'file' && h.type !== 'contiguous-file') return;
      const blob = /^blobs\/sha256\/([a-f0-9]{64})$/.exec(path);
      if (blob) {
        const d = 'sha256:' + blob[1];
        if (h.size > maxBlobBytes) throw new ImageError(`${path} is ${h.size} bytes; the limit is ${maxBlobBytes}`, 'TOO_LARGE');
        if (!(await store.blobs.has(d))) await storeWhole(store, d, h.size, body);
        out.blobs.add(d);
        return;
      }
      if (path.endsWith('.json') || path === 'oci-layout' || path === 'repositories') {
        out.json.set(path, await readAll(body, MAX_JSON, path));
        return;
      }
      if (path.endsWith('.tar')) {
        out.imported.set(path, await store.blobs.importStream(body, maxBlobBytes));
      }
    });
  } catch (err) {
    if (err instanceof TarReadError) {
      const inner = err.original;
      if (inner instanceof ImageError) throw inner;
      throw new ImageError(`${file} is not a readable image archive${err.entry ? ` (at ${JSON.stringify(err.entry)})` : ''}: ${(inner as Error).message}`, 'BAD_ARCHIVE');
    }
    throw err;
  }
  return out;
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
  const blob = /^blobs\/sha256\/([a-f0-9]{64})$/.exec(p);
  if (blob && contents.blobs.has('sha256:' + blob[1])) return 'sha256:' + blob[1];
  const imported = contents.imported.get(p);
  return imported && isDigest(imported.digest) ? imported.digest : undefined;
}
