// One layer blob -> one directory of files. Bytes flow blob -> decompressor -> counter/hasher -> tar parser ->
// LayerWriter; the counter enforces the rootfs budget and the compression-ratio bound as the bytes arrive, and
// the hash is checked against the config's diff_id at the end.
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { ImageError, type Digest } from '../types';
import type { Compression } from '../media-types';
import { decompressFile } from './decompress';
import { EntryProblem, LayerError, tooLarge } from './errors';
import type { UnpackLimits } from './limits';
import { MergedView, type LowerLayer } from './merged-view';
import { LayerWriter } from './layer-writer';
import { forEachTarEntry, TarReadError } from './tar-reader';

export interface ExtractLayerOptions {
  /** The compressed blob's digest, for messages. */
  layer: Digest;
  blobPath: string;
  compression: Compression;
  diffId: Digest;
  /** The (empty, private) directory the files go into. */
  upper: string;
  /** Where the shared whiteout device may be created (same filesystem, outside `upper`). */
  whiteoutTemplate: string;
  /** Cached layers below, top first. */
  lowers: LowerLayer[];
  limits: UnpackLimits;
  /** Uncompressed bytes this layer may still use of the rootfs limit. */
  budget: number;
  allowDevices: boolean;
}

export interface ExtractLayerResult {
  tarBytes: number;
  entries: number;
  whiteouts: string[];
  overlayWhiteouts: boolean;
}

async function* metered(source: AsyncIterable<Uint8Array>, compressed: number, opts: ExtractLayerOptions, total: { bytes: number; hash: ReturnType<typeof createHash> }): AsyncGenerator<Uint8Array> {
  const { limits } = opts;
  for await (const chunk of source) {
    total.bytes += chunk.length;
    if (total.bytes > opts.budget) {
      throw tooLarge(`uncompressed layers exceed the rootfs limit of ${limits.rootfsBytes} bytes (decompression bomb?)`);
    }
    if (total.bytes > limits.ratioFloorBytes && total.bytes > compressed * limits.compressionRatio) {
      throw tooLarge(`layer expands more than ${limits.compressionRatio}-fold (${compressed} compressed bytes; decompression bomb?)`);
    }
    total.hash.update(chunk);
    yield chunk;
  }
}

export async function extractLayer(opts: ExtractLayerOptions): Promise<ExtractLayerResult> {
  const compressed = (await stat(opts.blobPath)).size;
  const total = { bytes: 0, hash: createHash('sha256') };
  const view = new MergedView(opts.upper, opts.lowers, opts.limits.symlinkDepth);
  const writer = new LayerWriter(view, { limits: opts.limits, allowDevices: opts.allowDevices, whiteoutTemplate: opts.whiteoutTemplate });
  const source = metered(decompressFile(opts.blobPath, opts.compression, opts.limits), compressed, opts, total);

  const fail = (err: unknown, entry: string | undefined): LayerError | ImageError => {
    if (err instanceof ImageError) return err;
    if (err instanceof EntryProblem) return new LayerError(err.code, opts.layer, entry, err.message);
    const e = err as NodeJS.ErrnoException;
    if (e.code && e.syscall) return new LayerError('UNPACK_FAILED', opts.layer, entry, `${e.syscall}: ${e.message}`);
    // zlib, fzstd and tar-stream errors: the layer is not a (compressed) tar.
    return new LayerError('BAD_LAYER', opts.layer, entry, `not a valid ${opts.compression === 'none' ? '' : opts.compression + ' '}tar stream: ${e.message}`);
  };

  let entries = 0;
  try {
    await forEachTarEntry(source, async (h, body) => {
      if (++entries > opts.limits.filesPerLayer) throw tooLarge(`more than ${opts.limits.filesPerLayer} entries in one layer`);
      await writer.apply(h, body);
    });
  } catch (err) {
    if (err instanceof TarReadError) throw fail(err.original, err.entry);
    throw fail(err, undefined);
  }

  const diffId = 'sha256:' + total.hash.digest('hex');
  if (diffId !== opts.diffId) {
    throw new LayerError('DIGEST_MISMATCH', opts.layer, undefined, `uncompressed content has digest ${diffId}, but the image config says ${opts.diffId}`);
  }
  try {
    const { whiteouts, overlayWhiteouts } = await writer.finish();
    return { tarBytes: total.bytes, entries, whiteouts, overlayWhiteouts };
  } catch (err) {
    throw fail(err, undefined);
  }
}
