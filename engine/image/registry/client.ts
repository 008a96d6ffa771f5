// A client for one registry (distribution API v2): decides HTTPS vs plain HTTP, learns the auth challenge from
// `GET /v2/`, attaches basic or bearer authorization per repository scope, follows redirects (the Authorization
// header never leaves the registry's origin, and HTTPS never downgrades to HTTP), maps answers to ImageErrors,
// and retries what is worth retrying. Auth challenges are taken only from the registry's own origin: a 401 from
// a redirect target (blob storage) is an error, never a realm to send the user's credentials to. Blob transfers build on request()/blob(); see blob-download.ts.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { safeText } from '../../text/safe-text';
import { baseMediaType, MANIFEST_ACCEPT } from '../media-types';
import { isDigest, registryApiHost } from '../reference';
import { ImageError, type Descriptor, type Digest } from '../types';
import { parseChallenges, type Challenge } from './challenge';
import type { Credentials } from './credentials';
import { statusError } from './errors';
import { Agents, discard, readBody, readErrorBody, send, type HttpResponse } from './http';
import { insecureHint } from './insecure';
import { DEFAULT_TIMEOUTS, REGISTRY_LIMITS, type RetryPolicy, type Timeouts } from './limits';
import { withRetry } from './retry';
import { fetchToken, loginHint, sharedTokenCache, tokenCacheKey, type TokenCache } from './token';

const USER_AGENT = 'podsmith';
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** How long an insecure registry gets to start a TLS handshake before we try plain HTTP. */
const HTTPS_PROBE_MS = 5000;

export type Action = 'pull' | 'push';

export interface RegistryClientOptions {
  /** As in ImageReference: `docker.io`, `ghcr.io`, `127.0.0.1:5000`. */
  registry: string;
  /** The user marked this registry insecure: plain HTTP (or unverified HTTPS) is allowed. */
  insecure?: boolean;
  credentials?: Credentials;
  /** Remarks about credential files (e.g. an unsupported helper), added to UNAUTHORIZED messages. */
  credentialNotes?: string[];
  timeouts?: Timeouts;
  retry?: RetryPolicy;
  signal?: AbortSignal;
  tokenCache?: TokenCache;
  /** Told before a request is retried. */
  onRetry?: (attempt: number, reason: string) => void;
}

export interface ApiRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** `/v2/...`, relative to the registry. */
  path?: string;
  /** An absolute URL (an upload Location). */
  url?: URL;
  /** Repository the request touches: decides the token scope. */
  repository?: string;
  actions?: Action[];
  headers?: Record<string, string>;
  /** Called for every attempt, so a stream body can be opened again. */
  body?: () => Buffer | Readable;
  /** Statuses returned to the caller; default any 2xx. */
  ok?: number[];
  /** Names the object in messages: "manifest 127.0.0.1:5000/app:1". */
  what: string;
}

export interface FetchedManifest {
  bytes: Buffer;
  /** sha256 of the exact bytes. */
  digest: Digest;
  /** Content-Type the registry sent (parameters dropped). */
  mediaType: string;
}

const sha256 = (b: Buffer): Digest => 'sha256:' + createHash('sha256').update(b).digest('hex');

function pickChallenge(list: Challenge[]): Challenge | undefined {
  return list.find((c) => c.scheme === 'bearer' && c.params.realm) ?? list.find((c) => c.scheme === 'basic');
}

export class RegistryClient {
  readonly registry: string;
  private readonly apiHost: string;
  private readonly agents = new Agents();
  private readonly idleMs: number;
  private readonly tokens: TokenCache;
  private base?: Promise<URL>;
  /** undefined until learned; null when the registry needs no auth. */
  private challenge: Challenge | null | undefined;

  constructor(private readonly opts: RegistryClientOptions) {
    this.registry = opts.registry;
    this.apiHost = registryApiHost(opts.registry);
    this.idleMs = opts.timeouts?.idleMs ?? DEFAULT_TIMEOUTS.idleMs;
    this.tokens = opts.tokenCache ?? sharedTokenCache;
  }

  /** Closes pooled connections. */
  close(): void {
    this.agents.destroy();
  }

  /** Runs `fn` under the client's retry policy. */
  retrying<T>(fn: (attempt: number) => Promise<T>, onRetry?: (attempt: number, reason: string) => void): Promise<T> {
    return withRetry(fn, {
      policy: this.opts.retry,
      signal: this.opts.signal,
      onRetry: (attempt, err) => (onRetry ?? this.opts.onRetry)?.(attempt, err.message),
    });
  }

  /** Finds the scheme and the auth challenge (once); returns the registry's base URL. */
  ping(): Promise<URL> {
    this.base ??= this.resolveBase();
    return this.base;
  }

  private async resolveBase(): Promise<URL> {
    const https = new URL(`https://${this.apiHost}`);
    if (!this.opts.insecure) {
      try {
        await this.retrying(() => this.probe(https, this.idleMs));
        return https;
      } catch (err) {
        if (err instanceof ImageError && err.code === 'TLS') {
          throw new ImageError(`cannot reach registry ${this.registry} over HTTPS: ${err.message}. ${insecureHint(this.registry)}`, 'TLS');
        }
        throw err;
      }
    }
    // Marked insecure: HTTPS (unverified) if the server speaks it, else plain HTTP, as the user allowed. One
    // short try, so a plain-HTTP server that ignores a TLS hello costs seconds, not retries of the idle timeout.
    try {
      await this.probe(https, Math.min(this.idleMs, HTTPS_PROBE_MS));
      return https;
    } catch (err) {
      const fallback = err instanceof ImageError && (err.code === 'TLS' || err.code === 'TIMEOUT' || err.code === 'NETWORK');
      if (!fallback || this.opts.signal?.aborted) throw err;
    }
    const http = new URL(`http://${this.apiHost}`);
    await this.retrying(() => this.probe(http, this.idleMs));
    return http;
  }

  private async probe(base: URL, idleMs: number): Promise<void> {
    const res = await send({ method: 'GET', url: new URL('/v2/', base), headers: { 'user-agent': USER_AGENT }, idleMs, signal: this.opts.signal, skipTlsVerify: this.opts.insecure, agents: this.agents });
    const body = await readErrorBody(res, REGISTRY_LIMITS.errorBodyBytes);
    if (res.status === 200) {
      this.challenge = null;
      return;
    }
    if (res.status === 401) {
      const challenge = pickChallenge(parseChallenges(res.headers['www-authenticate']));
      if (!challenge) throw new ImageError(`registry ${this.registry} asks for authentication with a scheme Podsmith does not support`, 'UNAUTHORIZED');
      this.challenge = challenge;
      return;
    }
    if (res.status === 404) throw new ImageError(`${base.host} does not serve the registry API v2 (HTTP 404 on /v2/)`, 'REGISTRY_ERROR');
    throw statusError(res.status, `registry ${this.registry}`, body, res.headers['retry-after']);
  }

  private scope(req: ApiRequest): string | undefined {
    return req.repository ? `repository:${req.repository}:${(req.actions ?? ['pull']).join(',')}` : undefined;
  }

  private async authorization(scope: string | undefined, base: URL): Promise<string | undefined> {
    const ch = this.challenge;
    const creds = this.opts.credentials;
    if (!ch) return undefined;
    if (ch.scheme === 'basic') return creds ? 'Basic ' + Buffer.from(`${creds.username}:${creds.password}`, 'utf8').toString('base64') : undefined;
    const key = this.tokenKey(ch, scope);
    const token = await this.tokens.get(key, () =>
      this.retrying(() =>
        fetchToken({
          challenge: ch,
          scope,
          credentials: creds,
          registry: this.registry,
          allowPlainHttp: base.protocol === 'http:',
          notes: this.opts.credentialNotes,
          get: (url, headers) => send({ method: 'GET', url, headers: { 'user-agent': USER_AGENT, ...headers }, idleMs: this.idleMs, signal: this.opts.signal, agents: this.agents }),
        }),
      ),
    );
    return `Bearer ${token}`;
  }

  private tokenKey(ch: Challenge, scope: string | undefined): string {
    // A hash of the secret keeps a changed password from reusing a token, without keeping the password as a key.
    const creds = this.opts.credentials;
    const who = creds ? { username: creds.username + '#' + createHash('sha256').update(creds.password).digest('hex').slice(0, 16), password: '' } : undefined;
    return tokenCacheKey(ch, scope, who);
  }

  /** One request with auth and redirects; no retry (callers wrap in retrying()). */
  async request(req: ApiRequest): Promise<HttpResponse> {
    const base = await this.ping();
    const url = req.url ?? new URL(req.path!, base);
    const scope = this.scope(req);
    let renewed = false;
    for (;;) {
      const authz = await this.authorization(scope, base);
      const { res, from } = await this.exchange(req, url, authz, base);
      if (res.status === 401) {
        const body = await readErrorBody(res, REGISTRY_LIMITS.errorBodyBytes);
        if (from.origin !== base.origin) {
          // Another origin chose this challenge: adopting it would send the credentials to a realm it names.
          throw new ImageError(
            `${req.what}: ${from.host}, where registry ${this.registry} redirected the request, asks for authentication (HTTP 401); Podsmith answers auth challenges from the registry itself only, so nothing was sent to it`,
            'UNAUTHORIZED',
          );
        }
        const fresh = pickChallenge(parseChallenges(res.headers['www-authenticate']));
        if (!renewed && fresh) {
          // First contact, an expired token or a scope the token lacks: learn the challenge and ask again once.
          if (this.challenge) this.tokens.invalidate(this.tokenKey(this.challenge, scope));
          this.challenge = fresh;
          renewed = true;
          continue;
        }
        throw this.unauthorized(req, body);
      }
      const ok = req.ok ? req.ok.includes(res.status) : res.status >= 200 && res.status < 300;
      if (ok) return res;
      throw statusError(res.status, req.what, await readErrorBody(res, REGISTRY_LIMITS.errorBodyBytes), res.headers['retry-after']);
    }
  }

  private unauthorized(req: ApiRequest, body: Buffer | undefined): ImageError {
    const creds = this.opts.credentials;
    let detail = '';
    try {
      const first = (JSON.parse(body?.toString('utf8') ?? '') as { errors?: { message?: string }[] }).errors?.[0]?.message;
      // The registry wrote it: one line, control characters escaped.
      if (typeof first === 'string' && first) detail = `: ${safeText(first.slice(0, 200))}`;
    } catch {
      // no readable detail
    }
    if (!creds) {
      return new ImageError(
        `${req.what}: registry ${this.registry} requires authentication, or the repository does not exist (UNAUTHORIZED${detail}); ${loginHint(this.registry, this.opts.credentialNotes)}`,
        'UNAUTHORIZED',
      );
    }
    if (this.challenge?.scheme === 'basic') {
      return new ImageError(`registry ${this.registry} rejected the credentials of user "${creds.username}" (UNAUTHORIZED); ${loginHint(this.registry)} with the right ones`, 'UNAUTHORIZED');
    }
    return new ImageError(`${req.what}: user "${creds.username}" is not allowed this on registry ${this.registry}, or the repository does not exist (UNAUTHORIZED${detail})`, 'UNAUTHORIZED');
  }

  /** Sends the request and follows redirects; `from` is the URL that gave the final answer. */
  private async exchange(req: ApiRequest, start: URL, authz: string | undefined, base: URL): Promise<{ res: HttpResponse; from: URL }> {
    let url = start;
    let method: string = req.method;
    let withBody = true;
    for (let hop = 0; hop <= REGISTRY_LIMITS.maxRedirects; hop++) {
      const sameOrigin = url.origin === base.origin;
      const headers: Record<string, string> = { 'user-agent': USER_AGENT, ...req.headers };
      if (authz && sameOrigin) headers.authorization = authz;
      if (!withBody) delete headers['content-length'];
      const res = await send({
        method,
        url,
        headers,
        body: withBody ? req.body?.() : undefined,
        idleMs: this.idleMs,
        signal: this.opts.signal,
        skipTlsVerify: sameOrigin && this.opts.insecure,
        agents: this.agents,
      });
      const location = res.headers.location;
      if (!REDIRECTS.has(res.status) || !location) return { res, from: url };
      discard(res);
      const next = new URL(location, url);
      if (next.protocol !== 'https:' && next.protocol !== 'http:') throw new ImageError(`${req.what}: redirect to unsupported URL scheme ${next.protocol}`, 'REGISTRY_ERROR');
      if (url.protocol === 'https:' && next.protocol === 'http:') throw new ImageError(`${req.what}: refusing a redirect from HTTPS to plain HTTP (${next.host})`, 'INSECURE');
      if (res.status === 303) {
        method = 'GET';
        withBody = false;
      }
      url = next;
    }
    throw new ImageError(`${req.what}: more than ${REGISTRY_LIMITS.maxRedirects} redirects`, 'REGISTRY_ERROR');
  }

  /** Checks the credentials against the registry; false when the registry asks for none. */
  async verifyLogin(): Promise<boolean> {
    await this.ping();
    if (!this.challenge) return false;
    const res = await this.retrying(() => this.request({ method: 'GET', path: '/v2/', what: `login to ${this.registry}` }));
    discard(res);
    return true;
  }

  /** HEAD of a manifest: its digest (Docker-Content-Digest) and type, or undefined if the registry omits the digest. */
  async headManifest(repository: string, reference: string, what: string): Promise<{ digest: Digest; mediaType: string; size?: number } | undefined> {
    return this.retrying(async () => {
      // Registries that do not implement HEAD on manifests get a GET instead (undefined).
      const res = await this.request({ method: 'HEAD', path: `/v2/${repository}/manifests/${reference}`, repository, headers: { accept: MANIFEST_ACCEPT }, ok: [200, 400, 405, 501], what });
      discard(res);
      if (res.status !== 200) return undefined;
      const digest = res.headers['docker-content-digest'];
      if (typeof digest !== 'string' || !isDigest(digest)) return undefined;
      const size = Number(res.headers['content-length']);
      if (Number.isFinite(size) && size > REGISTRY_LIMITS.manifestBytes) throw new ImageError(`${what} is ${size} bytes; the limit is ${REGISTRY_LIMITS.manifestBytes}`, 'TOO_LARGE');
      return { digest, mediaType: baseMediaType(res.headers['content-type']), ...(Number.isFinite(size) ? { size } : {}) };
    });
  }

  /** GET of a manifest by tag or digest, bounded to 1 MiB; verified when `reference` is a digest. */
  async getManifest(repository: string, reference: string, what: string): Promise<FetchedManifest> {
    return this.retrying(async () => {
      const res = await this.request({ method: 'GET', path: `/v2/${repository}/manifests/${reference}`, repository, headers: { accept: MANIFEST_ACCEPT }, what });
      const bytes = await readBody(res, REGISTRY_LIMITS.manifestBytes, what);
      const digest = sha256(bytes);
      if (isDigest(reference) && digest !== reference) {
        throw new ImageError(`${what}: the registry sent content with digest ${digest}, not the requested ${reference}`, 'DIGEST_MISMATCH');
      }
      return { bytes, digest, mediaType: baseMediaType(res.headers['content-type']) };
    });
  }

  /** Starts a blob download, from `offset` with a Range request; one attempt (blob-download.ts retries). */
  blob(repository: string, digest: Digest, offset: number, what: string): Promise<HttpResponse> {
    return this.request({ method: 'GET', path: `/v2/${repository}/blobs/${digest}`, repository, headers: offset > 0 ? { range: `bytes=${offset}-` } : {}, ok: [200, 206], what });
  }

  async hasBlob(repository: string, digest: Digest, actions: Action[] = ['pull']): Promise<boolean> {
    return this.retrying(async () => {
      const res = await this.request({ method: 'HEAD', path: `/v2/${repository}/blobs/${digest}`, repository, actions, ok: [200, 404], what: `blob ${digest}` });
      discard(res);
      return res.status === 200;
    });
  }

  /**
   * Uploads a blob unless the repository has it: POST to start a session, then one monolithic PUT ?digest=.
   * `open` is called again for each attempt. Returns whether bytes were sent.
   */
  async uploadBlob(repository: string, desc: Descriptor, open: () => Buffer | Readable): Promise<boolean> {
    const actions: Action[] = ['pull', 'push'];
    if (await this.hasBlob(repository, desc.digest, actions)) return false;
    const what = `upload of blob ${desc.digest} to ${this.registry}/${repository}`;
    await this.retrying(async () => {
      const start = await this.request({ method: 'POST', path: `/v2/${repository}/blobs/uploads/`, repository, actions, ok: [202], what });
      discard(start);
      const location = start.headers.location;
      if (!location) throw new ImageError(`${what}: the registry gave no upload location`, 'REGISTRY_ERROR');
      const url = new URL(location, await this.ping());
      url.searchParams.append('digest', desc.digest);
      const put = await this.request({
        method: 'PUT',
        url,
        repository,
        actions,
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(desc.size) },
        body: open,
        ok: [201, 204],
        what,
      });
      discard(put);
    });
    return true;
  }

  /** PUT of a manifest under a tag or digest; returns the digest of the bytes sent. */
  async putManifest(repository: string, reference: string, bytes: Buffer, mediaType: string): Promise<Digest> {
    const digest = sha256(bytes);
    const what = `manifest ${this.registry}/${repository}:${reference}`;
    await this.retrying(async () => {
      const res = await this.request({
        method: 'PUT',
        path: `/v2/${repository}/manifests/${reference}`,
        repository,
        actions: ['pull', 'push'],
        headers: { 'content-type': mediaType },
        body: () => bytes,
        ok: [200, 201, 204],
        what,
      });
      discard(res);
      const echoed = res.headers['docker-content-digest'];
      if (typeof echoed === 'string' && isDigest(echoed) && echoed !== digest) {
        throw new ImageError(`${what}: the registry stored digest ${echoed}, not ${digest}`, 'DIGEST_MISMATCH');
      }
    });
    return digest;
  }
}
