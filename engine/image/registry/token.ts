// The bearer-token flow of the distribution auth spec: GET realm?service=…&scope=… (with basic credentials when
// we have them), read `token` or `access_token` from the JSON reply, and cache it per scope until it expires.
// Tokens never appear in errors or logs.
import { ImageError } from '../types';
import type { Challenge } from './challenge';
import type { Credentials } from './credentials';
import { statusError } from './errors';
import { readBody, readErrorBody, type HttpResponse } from './http';
import { REGISTRY_LIMITS } from './limits';

/** Tokens are renewed this long before they expire, so one never runs out mid-request. */
const EXPIRY_MARGIN_MS = 10_000;
/** The spec's default lifetime when the server does not say (`expires_in` absent). */
const DEFAULT_LIFETIME_S = 60;

interface Entry {
  token?: string;
  expiresAt: number;
  pending?: Promise<string>;
}

/** Tokens by realm, service, scope and account. Concurrent requests for one key share a single fetch. */
export class TokenCache {
  private readonly entries = new Map<string, Entry>();

  async get(key: string, fetch: () => Promise<{ token: string; expiresAt: number }>): Promise<string> {
    const hit = this.entries.get(key);
    if (hit?.token && hit.expiresAt > Date.now()) return hit.token;
    if (hit?.pending) return hit.pending;
    const entry: Entry = { expiresAt: 0 };
    entry.pending = fetch().then(
      (t) => {
        entry.token = t.token;
        entry.expiresAt = t.expiresAt;
        entry.pending = undefined;
        return t.token;
      },
      (err) => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
        throw err;
      },
    );
    this.entries.set(key, entry);
    return entry.pending;
  }

  invalidate(key: string): void {
    this.entries.delete(key);
  }
}

/** One cache for the process, so pulls of several images from one registry share tokens. */
export const sharedTokenCache = new TokenCache();

export function tokenCacheKey(challenge: Challenge, scope: string | undefined, creds: Credentials | undefined): string {
  return JSON.stringify([challenge.params.realm, challenge.params.service ?? '', scope ?? '', creds?.username ?? '']);
}

export interface TokenFetch {
  challenge: Challenge;
  scope?: string;
  credentials?: Credentials;
  /** The registry, for messages. */
  registry: string;
  /** Whether credentials may go to a plain-HTTP realm (the registry itself is used over HTTP). */
  allowPlainHttp: boolean;
  /** Sends a GET to the token server. */
  get(url: URL, headers: Record<string, string>): Promise<HttpResponse>;
  /** Notes about credential files, added to UNAUTHORIZED messages. */
  notes?: string[];
}

export function loginHint(registry: string, notes: string[] = []): string {
  return `run 'podsmith login ${registry}'` + (notes.length ? ` (${notes.join('; ')})` : '');
}

export async function fetchToken(f: TokenFetch): Promise<{ token: string; expiresAt: number }> {
  const realm = f.challenge.params.realm;
  let url: URL;
  try {
    url = new URL(realm ?? '');
  } catch {
    throw new ImageError(`registry ${f.registry} sent a bearer challenge without a usable realm URL`, 'REGISTRY_ERROR');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ImageError(`token realm of ${f.registry} is not an http(s) URL`, 'REGISTRY_ERROR');
  if (url.protocol === 'http:' && f.credentials && !f.allowPlainHttp) {
    throw new ImageError(`the token server of ${f.registry} (${url.host}) uses plain HTTP; refusing to send credentials to it`, 'INSECURE');
  }
  if (f.challenge.params.service) url.searchParams.set('service', f.challenge.params.service);
  if (f.scope) url.searchParams.set('scope', f.scope);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (f.credentials) {
    url.searchParams.set('account', f.credentials.username);
    headers.authorization = 'Basic ' + Buffer.from(`${f.credentials.username}:${f.credentials.password}`, 'utf8').toString('base64');
  }
  const res = await f.get(url, headers);
  if (res.status === 401 || res.status === 403) {
    await readErrorBody(res, REGISTRY_LIMITS.errorBodyBytes);
    throw f.credentials
      ? new ImageError(`registry ${f.registry} rejected the credentials of user "${f.credentials.username}" (UNAUTHORIZED); ${loginHint(f.registry)} with the right ones`, 'UNAUTHORIZED')
      : new ImageError(`registry ${f.registry} requires authentication (UNAUTHORIZED); ${loginHint(f.registry, f.notes)}`, 'UNAUTHORIZED');
  }
  if (res.status !== 200) {
    throw statusError(res.status, `token server ${url.host}`, await readErrorBody(res, REGISTRY_LIMITS.errorBodyBytes), res.headers['retry-after']);
  }
  const body = await readBody(res, REGISTRY_LIMITS.tokenReplyBytes, `token reply from ${url.host}`);
  let reply: { token?: unknown; access_token?: unknown; expires_in?: unknown; issued_at?: unknown };
  try {
    reply = JSON.parse(body.toString('utf8'));
  } catch {
    throw new ImageError(`token server ${url.host} sent a reply that is not JSON`, 'REGISTRY_ERROR');
  }
  const token = typeof reply.token === 'string' && reply.token ? reply.token : typeof reply.access_token === 'string' ? reply.access_token : '';
  if (!token) throw new ImageError(`token server ${url.host} sent no token`, 'REGISTRY_ERROR');
  const lifetime = typeof reply.expires_in === 'number' && reply.expires_in > 0 ? reply.expires_in : DEFAULT_LIFETIME_S;
  const issued = typeof reply.issued_at === 'string' ? Date.parse(reply.issued_at) : NaN;
  // Trust the server's issue time only when it is sane, so a skewed clock cannot make tokens look fresh.
  const start = Number.isFinite(issued) && Math.abs(issued - Date.now()) < 5 * 60_000 ? issued : Date.now();
  return { token, expiresAt: start + lifetime * 1000 - Math.min(EXPIRY_MARGIN_MS, (lifetime * 1000) / 2) };
}
