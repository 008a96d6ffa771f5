// One HTTP exchange over node:http/https with an idle timeout (no byte for `idleMs`, whether waiting for the
// connection, the headers or the next body chunk, fails it with TIMEOUT) and cancellation by AbortSignal.
// No redirects and no auth here: the client layers those on top.
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { ImageError } from '../types';
import { networkError, RetryableError } from './errors';

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: IncomingMessage;
  url: URL;
}

/** Connection pools for one client; destroy() closes idle keep-alive sockets. */
export class Agents {
  readonly http = new HttpAgent({ keepAlive: true, maxSockets: 16 });
  readonly https = new HttpsAgent({ keepAlive: true, maxSockets: 16 });
  /** For registries the user marked insecure: HTTPS without certificate checks. */
  readonly httpsNoVerify = new HttpsAgent({ keepAlive: true, maxSockets: 16, rejectUnauthorized: false });
  destroy(): void {
    this.http.destroy();
    this.https.destroy();
    this.httpsNoVerify.destroy();
  }
}

export interface HttpExchange {
  method: string;
  url: URL;
  headers?: Record<string, string>;
  body?: Buffer | Readable;
  idleMs: number;
  signal?: AbortSignal;
  /** Skip certificate verification (only for registries marked insecure). */
  skipTlsVerify?: boolean;
  agents: Agents;
}

/** The error an aborted signal stands for: its reason when that is an ImageError, else ABORTED. */
export function abortError(signal: AbortSignal): ImageError {
  const reason = signal.reason as unknown;
  return reason instanceof ImageError ? reason : new ImageError('the operation was cancelled', 'ABORTED');
}

/** Sends a request; resolves when the response headers arrive. The body stream keeps the idle timeout. */
export function send(x: HttpExchange): Promise<HttpResponse> {
  const host = x.url.host;
  if (x.signal?.aborted) return Promise.reject(abortError(x.signal));
  return new Promise<HttpResponse>((resolve, reject) => {
    const https = x.url.protocol === 'https:';
    const headers: Record<string, string> = { ...x.headers };
    if (Buffer.isBuffer(x.body)) headers['content-length'] = String(x.body.length);
    // An empty POST/PUT must say so, or Node would fall back to chunked encoding.
    else if (x.body === undefined && x.method !== 'GET' && x.method !== 'HEAD') headers['content-length'] = '0';
    const req = (https ? httpsRequest : httpRequest)(x.url, {
      method: x.method,
      headers,
      agent: https ? (x.skipTlsVerify ? x.agents.httpsNoVerify : x.agents.https) : x.agents.http,
    });
    let res: IncomingMessage | undefined;
    let settled = false;
    const fail = (err: ImageError): void => {
      if (!settled) {
        settled = true;
        reject(err);
      }
      req.destroy(err);
      res?.destroy(err);
    };
    const onAbort = (): void => fail(abortError(x.signal!));
    x.signal?.addEventListener('abort', onAbort, { once: true });
    const cleanup = (): void => x.signal?.removeEventListener('abort', onAbort);
    req.setTimeout(x.idleMs, () => fail(new RetryableError(`no data from ${host} for ${x.idleMs / 1000} s (idle timeout)`, 'TIMEOUT')));
    req.on('error', (err) => {
      cleanup();
      if (!settled) {
        settled = true;
        reject(networkError(err, host));
      }
    });
    req.on('response', (r) => {
      res = r;
      settled = true;
      // Consumers see body errors through their own listeners; this one only keeps a late failure from
      // becoming an unhandled 'error' event.
      r.on('error', () => undefined);
      r.on('close', cleanup);
      resolve({ status: r.statusCode ?? 0, headers: r.headers, body: r, url: x.url });
    });
    if (x.body instanceof Readable) {
      const body = x.body;
      body.on('error', (err) => fail(new ImageError(`reading upload data failed: ${err.message}`, 'STORE_ERROR')));
      // A request that dies mid-upload must not leave its file open.
      req.on('close', () => {
        if (!body.readableEnded) body.destroy();
      });
      body.pipe(req);
    } else {
      req.end(x.body);
    }
  });
}

/** Reads a whole body, refusing more than `limit` bytes (checked on Content-Length first, then while reading). */
export async function readBody(res: HttpResponse, limit: number, what: string): Promise<Buffer> {
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    res.body.destroy();
    throw new ImageError(`${what} is ${declared} bytes; the limit is ${limit}`, 'TOO_LARGE');
  }
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > limit) {
        res.body.destroy();
        throw new ImageError(`${what} is larger than the limit of ${limit} bytes`, 'TOO_LARGE');
      }
      chunks.push(chunk);
    }
  } catch (err) {
    throw networkError(err, res.url.host);
  }
  return Buffer.concat(chunks);
}

/** Reads at most `limit` bytes of a body we only want for its error message; never throws. */
export async function readErrorBody(res: HttpResponse, limit: number): Promise<Buffer | undefined> {
  try {
    return await readBody(res, limit, 'error body');
  } catch {
    return undefined;
  }
}

/** Drains a body we do not need so the connection can be reused. */
export function discard(res: HttpResponse): void {
  res.body.resume();
  res.body.on('error', () => undefined);
}
