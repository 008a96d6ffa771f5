// Bounds on what unpacking an image may cost (the seeds' security table), injectable so tests can trip them
// with small inputs.
import { GiB, MiB } from '../../limits/table';

export interface UnpackLimits {
  /** One compressed layer blob. */
  layerCompressedBytes: number;
  /** All layers' uncompressed tar streams together: bounds disk use and decompression bombs. */
  rootfsBytes: number;
  layers: number;
  /** Tar entries in one layer (inode exhaustion). */
  filesPerLayer: number;
  /** Uncompressed/compressed ratio a layer may reach once past `ratioFloorBytes`: stops bombs early. */
  compressionRatio: number;
  ratioFloorBytes: number;
  /** zstd frame window (memory the decoder allocates); zstd's own default decoder limit. */
  zstdWindowBytes: number;
  manifestBytes: number;
  configBytes: number;
  pathBytes: number;
  componentBytes: number;
  /** Symlinks followed while resolving one path. */
  symlinkDepth: number;
}

export const DEFAULT_UNPACK_LIMITS: Readonly<UnpackLimits> = Object.freeze({
  layerCompressedBytes: 512 * MiB,
  rootfsBytes: 4 * GiB,
  layers: 128,
  filesPerLayer: 100_000,
  compressionRatio: 200,
  ratioFloorBytes: 32 * MiB,
  zstdWindowBytes: 128 * MiB,
  manifestBytes: 1 * MiB,
  configBytes: 1 * MiB,
  pathBytes: 4096,
  componentBytes: 255,
  symlinkDepth: 40,
});

export function unpackLimits(overrides: Partial<UnpackLimits> = {}): UnpackLimits {
  return { ...DEFAULT_UNPACK_LIMITS, ...overrides };
}
