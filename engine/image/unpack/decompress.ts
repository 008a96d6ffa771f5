// Layer bytes -> tar bytes. The compression is told by the media type and checked against the magic bytes;
// when they disagree the magic bytes win (some tools label uncompressed docker-archive layers `tar.gzip`), and
// the diff_id check afterwards proves the result either way. Everything is pull-based (async generators), so
// memory stays bounded however far a layer expands.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Decompress } from 'fzstd';
import type { Compression } from '../media-types';
import { ZstdFrameGuard } from './zstd-frame-guard';

export function sniffCompression(head: Uint8Array): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  return 'none';
}

export async function sniffFile(path: string): Promise<Compression> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await fh.read(head, 0, 4, 0);
    return sniffCompression(head.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}

/** Input is fed to fzstd in small slices: one slice of RLE blocks can expand ~16000-fold before we see it. */
const ZSTD_SLICE = 512;

async function* zstdStream(source: AsyncIterable<Uint8Array>, maxWindow: number): AsyncGenerator<Uint8Array> {
  const guard = new ZstdFrameGuard(maxWindow);
  const out: Uint8Array[] = [];
  // fzstd may hand out views into its window buffer, which it then overwrites: copy.
  const dec = new Decompress((data) => {
    if (data.length) out.push(Buffer.from(data));
  });
  let sawInput = false;
  for await (const chunk of source) {
    for (let off = 0; off < chunk.length; off += ZSTD_SLICE) {
      const slice = chunk.subarray(off, off + ZSTD_SLICE);
      sawInput = true;
      guard.check(slice);
      dec.push(slice);
      while (out.length) yield out.shift()!;
    }
  }
  if (!sawInput) throw new Error('zstd stream is empty');
  guard.end();
  dec.push(new Uint8Array(0), true);
  while (out.length) yield out.shift()!;
}

async function* gunzipStream(path: string): AsyncGenerator<Uint8Array> {
  // Larger chunks than zlib's 16 KiB default: fewer, bigger file writes downstream.
  const gunzip = createGunzip({ chunkSize: 256 * 1024 });
  pipeline(createReadStream(path, { highWaterMark: 256 * 1024 }), gunzip, () => {});
  for await (const chunk of gunzip) yield chunk as Buffer;
}

async function* rawStream(path: string): AsyncGenerator<Uint8Array> {
  for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 })) yield chunk as Buffer;
}

export function decompressFile(path: string, compression: Compression, limits: { zstdWindowBytes: number }): AsyncGenerator<Uint8Array> {
  if (compression === 'gzip') return gunzipStream(path);
  if (compression === 'zstd') return zstdStream(rawStream(path), limits.zstdWindowBytes);
  return rawStream(path);
}
