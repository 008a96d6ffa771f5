// Retries with exponential backoff and jitter for failures marked retryable; a server's Retry-After is
// honoured up to the policy's longest delay. Cancellation (the pull timeout, the caller's signal) ends waiting.
import { setTimeout as delay } from 'node:timers/promises';
import { abortError } from './http';
import { isRetryable, RetryableError } from './errors';
import { DEFAULT_RETRY, type RetryPolicy } from './limits';

export interface RetryOptions {
  policy?: RetryPolicy;
  signal?: AbortSignal;
  /** Told before each new attempt (attempt counts from 2). */
  onRetry?: (attempt: number, err: Error) => void;
}

export function backoffMs(attempt: number, policy: Required<RetryPolicy>, err?: unknown): number {
  const hinted = err instanceof RetryableError ? err.retryAfterMs : undefined;
  if (hinted !== undefined) return Math.min(hinted, policy.maxDelayMs);
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return exp / 2 + Math.random() * (exp / 2);
}

export async function withRetry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const policy = { ...DEFAULT_RETRY, ...opts.policy };
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (opts.signal?.aborted) throw abortError(opts.signal);
      if (!isRetryable(err) || attempt >= policy.attempts) throw err;
      opts.onRetry?.(attempt + 1, err as Error);
      try {
        await delay(backoffMs(attempt, policy, err), undefined, { signal: opts.signal });
      } catch {
        throw abortError(opts.signal!);
      }
    }
  }
}
