// What pull and push share before talking to a registry: the client with the user's insecure-registry policy and
// credentials, and one AbortController carrying the overall deadline and the caller's cancellation.
import type { ImageReference } from '../types';
import { ImageError } from '../types';
import { RegistryClient } from './client';
import { findCredentials, type Credentials } from './credentials';
import { InsecurePolicy, loadInsecurePolicy } from './insecure';
import type { RetryPolicy, Timeouts } from './limits';
import type { TokenCache } from './token';

export interface ConnectOptions {
  /**
   * Registries allowed over plain HTTP besides PODSMITH_INSECURE_REGISTRIES and $PODSMITH_HOME/registries.json
   * (the values of --insecure-registry), or a complete policy.
   */
  insecure?: Iterable<string> | InsecurePolicy;
  /** Explicit credentials; null forces anonymous; undefined looks them up in the auth files. */
  credentials?: Credentials | null;
  env?: NodeJS.ProcessEnv;
  timeouts?: Timeouts;
  retry?: RetryPolicy;
  tokenCache?: TokenCache;
}

export function clientFor(ref: ImageReference, o: ConnectOptions, signal: AbortSignal, onRetry?: (attempt: number, reason: string) => void): RegistryClient {
  const env = o.env ?? process.env;
  const policy = o.insecure instanceof InsecurePolicy ? o.insecure : loadInsecurePolicy({ flags: o.insecure, env });
  const lookup = o.credentials === undefined ? findCredentials(ref.registry, ref.repository, env) : { credentials: o.credentials ?? undefined, notes: [] };
  return new RegistryClient({
    registry: ref.registry,
    insecure: policy.allows(ref.registry),
    credentials: lookup.credentials,
    credentialNotes: lookup.notes,
    timeouts: o.timeouts,
    retry: o.retry,
    signal,
    tokenCache: o.tokenCache,
    onRetry,
  });
}

/**
 * An AbortController that fires on the caller's signal and after `totalMs`, with an ImageError as its reason
 * (TIMEOUT or ABORTED), so every request it cancels fails with a message that says why.
 */
export function operationControl(what: string, totalMs: number, signal?: AbortSignal): { control: AbortController; dispose(): void } {
  const control = new AbortController();
  const timer = setTimeout(() => control.abort(new ImageError(`${what} did not finish within ${totalMs / 1000} s`, 'TIMEOUT')), totalMs);
  timer.unref?.();
  const onAbort = (): void => {
    const r = signal?.reason as unknown;
    control.abort(r instanceof ImageError ? r : new ImageError(`${what} was cancelled`, 'ABORTED'));
  };
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  return {
    control,
    dispose() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    },
  };
}
