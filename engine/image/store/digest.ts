// Digests as file names: only `sha256:` + 64 lowercase hex is accepted, so a digest can never smuggle a path
// component (`..`, `/`) into the store.
import { createHash } from 'node:crypto';
import { ImageError, type Digest } from '../types';

const DIGEST = /^sha256:([a-f0-9]{64})$/;

export function isDigest(d: unknown): d is Digest {
  return typeof d === 'string' && DIGEST.test(d);
}

/** The hex part of a digest; throws ImageError INVALID_DIGEST for anything else. */
export function digestHex(d: Digest): string {
  const m = typeof d === 'string' ? DIGEST.exec(d) : null;
  if (!m) throw new ImageError(`invalid digest ${JSON.stringify(d)}: only sha256:<64 lowercase hex> is accepted`, 'INVALID_DIGEST');
  return m[1];
}

export function sha256Digest(data: Uint8Array | string): Digest {
  return 'sha256:' + createHash('sha256').update(data).digest('hex');
}

/** The first 12 hex characters, as `docker images` shows image ids. */
export function shortDigest(d: Digest): string {
  return d.startsWith('sha256:') ? d.slice(7, 19) : d.slice(0, 12);
}
