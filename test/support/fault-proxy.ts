// A fault-injection HTTP proxy for transfer tests, in process (node:http). It forwards to a registry and, for
// requests matching a rule, answers with an error status, cuts the connection mid-body, corrupts the body,
// or stalls. Every request is logged so tests can assert what the client did (e.g. that it sent a Range).
//
//   const proxy = await startFaultProxy(registry);
//   proxy.add({ method: 'GET', path: /\/blobs\//, fault: { kind: 'cut', afterBytes: 100_000 } });
//   ... pull from proxy.host ...
//   assert(proxy.requests.some((r) => r.headers.range));
//   await proxy.stop();
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Fault =
  /** Answer with this status without forwarding (e.g. 500, 429); `body` replaces the default error JSON. */
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string | Buffer; chunked?: boolean }
  /** Answer 307 to `location(path)` (blob storage elsewhere). */
  | { kind: 'redirect'; location: (path: string) => string }
  /** Forward, send the headers and `afterBytes` of the body, then drop the connection. */
  | { kind: 'cut'; afterBytes: number }
  /** Forward with one byte of the body flipped (same length). */
  | { kind: 'corrupt' }
  /** Never answer; with `afterBytes`, send headers and that much body, then go silent. */
  | { kind: 'stall'; afterBytes?: number };

export interface FaultRule {
  fault: Fault;
  method?: string;
  path?: RegExp;
  /** How many matching requests get the fault (default 1; Infinity for all). */
  times?: number;
}

export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The fault applied, if any. */
  fault?: Fault['kind'];
}

export interface FaultProxy {
  /** `127.0.0.1:PORT`. */
  readonly host: string;
  readonly url: string;
  readonly requests: SeenRequest[];
  add(rule: FaultRule): void;
  /** Drops all rules and the request log. */
  clear(): void;
  stop(): Promise<void>;
}

export async function startFaultProxy(target: { host: string }): Promise<FaultProxy> {
  const [targetHost, targetPort] = splitHost(target.host);
  const rules: { rule: FaultRule; left: number }[] = [];
  const requests: SeenRequest[] = [];
  const sockets = new Set<Socket>();

  function take(req: IncomingMessage): Fault | undefined {
    for (const r of rules) {
      if (r.left <= 0) continue;
      if (r.rule.method && r.rule.method !== req.method) continue;
      if (r.rule.path && !r.rule.path.test(req.url ?? '')) continue;
      r.left--;
      return r.rule.fault;
    }
    return undefined;
  }

  const server = createServer((req, res) => {
    const fault = take(req);
    requests.push({ method: req.method ?? '', path: req.url ?? '', headers: { ...req.headers }, fault: fault?.kind });
    if (fault?.kind === 'status') {
      req.resume();
      const body = fault.body ?? JSON.stringify({ errors: [{ code: 'INJECTED', message: `injected ${fault.status}` }] });
      // chunked: no Content-Length, so only a check while reading can catch an oversized body.
      const length = fault.chunked ? {} : { 'content-length': String(Buffer.byteLength(body)) };
      res.writeHead(fault.status, { 'content-type': 'application/json', ...length, ...fault.headers });
      res.end(body);
      return;
    }
    if (fault?.kind === 'redirect') {
      req.resume();
      res.writeHead(307, { location: fault.location(req.url ?? '/'), 'content-length': '0' });
      res.end();
      return;
    }
    if (fault?.kind === 'stall' && fault.afterBytes === undefined) {
      req.resume(); // keep the socket open and say nothing
      return;
    }
    forward(req, res, fault);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  function forward(req: IncomingMessage, res: ServerResponse, fault: Fault | undefined): void {
    // The Host header passes through, so URLs the registry builds (upload Locations) point back at the proxy.
    const up = request({ host: targetHost, port: targetPort, method: req.method, path: req.url, headers: req.headers }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      if (!fault) {
        upRes.pipe(res);
        return;
      }
      let sent = 0;
      let flipped = false;
      upRes.on('data', (chunk: Buffer) => {
        if (fault.kind === 'corrupt' && !flipped && chunk.length > 0) {
          chunk = Buffer.from(chunk);
          chunk[chunk.length >> 1] ^= 0xff;
          flipped = true;
        }
        if (fault.kind === 'cut' || fault.kind === 'stall') {
          const limit = fault.kind === 'cut' ? fault.afterBytes : fault.afterBytes!;
          const room = limit - sent;
          if (room <= 0) return;
          const part = chunk.subarray(0, room);
          sent += part.length;
          res.write(part);
          if (sent >= limit) {
            upRes.destroy();
            // A cut drops the connection; a stall keeps it open and silent.
            if (fault.kind === 'cut') res.socket?.destroy();
          }
          return;
        }
        sent += chunk.length;
        res.write(chunk);
      });
      upRes.on('end', () => res.end());
    });
    up.on('error', () => res.socket?.destroy());
    req.pipe(up);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    requests,
    add(rule) {
      rules.push({ rule, left: rule.times ?? 1 });
    },
    clear() {
      rules.length = 0;
      requests.length = 0;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function splitHost(host: string): [string, number] {
  const i = host.lastIndexOf(':');
  return [host.slice(0, i), Number(host.slice(i + 1))];
}
