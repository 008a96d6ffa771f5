// Turns transport failures and registry answers into ImageErrors with stable codes, and says which are worth
// retrying (5xx, 429, dropped connections, stalls).
import { safeText } from '../../text/safe-text';
import { ImageError } from '../types';

/** A failure that may go away if the request is made again. */
export class RetryableError extends ImageError {
  constructor(
    message: string,
    code: string,
    /** The server's Retry-After, when it sent one. */
    readonly retryAfterMs?: number,
  ) {
    super(message, code);
  }
}

export function isRetryable(err: unknown): boolean {
  return err instanceof RetryableError;
}

const RETRYABLE_NET = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'EAI_AGAIN', 'ENETRESET', 'ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_SOCKET']);
const TLS_CODE = /^(ERR_SSL_|ERR_TLS_|EPROTO$|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|UNABLE_TO_(GET|VERIFY)_)/;

/** Whether an error came from TLS (handshake or certificate), e.g. HTTPS spoken to a plain-HTTP port. */
export function isTlsError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && TLS_CODE.test(code);
}

/** Maps an error from a socket or stream to an ImageError (already-mapped errors pass through). */
export function networkError(err: unknown, host: string): ImageError {
  if (err instanceof ImageError) return err;
  const e = err as NodeJS.ErrnoException;
  const code = e?.code ?? '';
  const why = code ? `${code}${e.message && !e.message.includes(code) ? ` (${e.message})` : ''}` : (e?.message ?? String(err));
  if (code === 'ECONNREFUSED') return new ImageError(`cannot connect to ${host}: connection refused`, 'UNREACHABLE');
  if (code === 'ENOTFOUND') return new ImageError(`cannot resolve ${host}: no such host`, 'UNREACHABLE');
  if (isTlsError(err)) {
    const plain = /wrong version number|packet length too long|http request/i.test(e.message ?? '') || code === 'ERR_SSL_WRONG_VERSION_NUMBER';
    const reason = plain ? 'the server did not answer in TLS (it may speak plain HTTP)' : `${code}${/CERT|SIGNED|VERIFY/.test(code) ? ' (certificate not trusted)' : ''}`;
    const tls = new ImageError(`TLS with ${host} failed: ${reason}`, 'TLS');
    (tls as { cause?: unknown }).cause = err;
    return tls;
  }
  if (RETRYABLE_NET.has(code) || /socket hang up|aborted|terminated|premature close/i.test(e?.message ?? '')) {
    return new RetryableError(`connection to ${host} dropped: ${why}`, 'NETWORK');
  }
  return new RetryableError(`request to ${host} failed: ${why}`, 'NETWORK');
}

/** Retry-After as milliseconds (seconds or an HTTP date); undefined when absent or unreadable. */
export function retryAfterMs(value: string | string[] | undefined): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/**
 * The first `{code, message}` of a registry error body (`{"errors": [...]}`), shortened for messages, on one line
 * and with control characters escaped (the registry wrote it).
 */
export function registryErrorText(body: Buffer | undefined): string | undefined {
  if (!body || body.length === 0) return undefined;
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { errors?: { code?: unknown; message?: unknown }[] };
    const first = parsed.errors?.[0];
    if (first && (typeof first.code === 'string' || typeof first.message === 'string')) {
      const text = [first.code, first.message].filter((x) => typeof x === 'string' && x).join(': ');
      return safeText(text.length > 300 ? text.slice(0, 300) + '…' : text);
    }
  } catch {
    // not JSON: fall through
  }
  return undefined;
}

/** The error for a registry answer that was not a success (401 is handled by the auth layer). */
export function statusError(status: number, what: string, body: Buffer | undefined, retryAfter?: string | string[]): ImageError {
  const detail = registryErrorText(body);
  const suffix = detail ? ` (${detail})` : '';
  if (status === 404) return new ImageError(`${what}: not found${suffix}`, 'NOT_FOUND');
  if (status === 403) return new ImageError(`${what}: access denied${suffix}`, 'DENIED');
  if (status === 429) return new RetryableError(`${what}: the registry is rate limiting requests (HTTP 429)${suffix}`, 'RATE_LIMITED', retryAfterMs(retryAfter));
  if (status >= 500) return new RetryableError(`${what}: registry error HTTP ${status}${suffix}`, 'REGISTRY_ERROR', retryAfterMs(retryAfter));
  return new ImageError(`${what}: unexpected HTTP ${status}${suffix}`, 'REGISTRY_ERROR');
}
