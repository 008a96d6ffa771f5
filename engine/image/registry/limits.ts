// Bounds on what a registry may make us download and how long it may take (the seeds' security table).
// Timeouts and retry pacing are options so tests can make failures fast.
import { LIMITS, MiB } from '../../limits/table';

export const REGISTRY_LIMITS = {
  /** A manifest or index document. */
  manifestBytes: 1 * MiB,
  /** An image config blob. */
  configBytes: 1 * MiB,
  /** One compressed layer. */
  layerBytes: 512 * MiB,
  layersPerImage: 128,
  /** Entries in an index we are willing to look through. */
  indexEntries: 1024,
  /** A token server's JSON reply. */
  tokenReplyBytes: 64 * 1024,
  /** An error body we read for its message. */
  errorBodyBytes: 64 * 1024,
  maxRedirects: 5,
} as const;

export interface Timeouts {
  /** No byte for this long on a connection (connect, headers or body) fails the request. Default 30 s. */
  idleMs?: number;
  /** A whole pull or push. Default 300 s (IMAGE_PULL_TIMEOUT). */
  totalMs?: number;
}

export interface RetryPolicy {
  /** Attempts per request, the first included. Default 5. */
  attempts?: number;
  /** First backoff delay, doubled each time (with jitter). Default 250 ms. */
  baseDelayMs?: number;
  /** Longest single delay, also the cap on a server's Retry-After. Default 10 s. */
  maxDelayMs?: number;
}

export const DEFAULT_TIMEOUTS: Required<Timeouts> = { idleMs: 30_000, totalMs: LIMITS.imagePullSeconds * 1000 };
export const DEFAULT_RETRY: Required<RetryPolicy> = { attempts: 5, baseDelayMs: 250, maxDelayMs: 10_000 };
/** Blobs downloaded at once per image. */
export const DEFAULT_CONCURRENCY = 3;
