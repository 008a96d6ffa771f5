// A registry token server for tests (the Docker token flow): checks basic credentials and issues ES256 JWTs
// that CNCF distribution 2.8 accepts. The signing key's self-signed certificate is the registry's
// `rootcertbundle`; each token carries that certificate in its `x5c` header, which distribution verifies
// against the bundle (so no libtrust key-id fingerprint is needed).
import { spawnSync } from 'node:child_process';
import { createPrivateKey, randomUUID, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export interface TestUser {
  username: string;
  password: string;
}

export interface TokenServerOptions {
  users: TestUser[];
  /** Anonymous clients may pull every repository (default: they get a token with no access). */
  anonymousPull?: boolean;
  /** Lifetime of issued tokens (default 300 s). */
  ttlSeconds?: number;
  service: string;
  issuer: string;
}

export interface TokenRequest {
  account?: string;
  scopes: string[];
  /** Whether the request carried valid credentials. */
  authenticated: boolean;
}

export interface TokenServer {
  /** `http://127.0.0.1:PORT/token`, the registry's realm. */
  readonly realm: string;
  /** PEM certificate the registry trusts (`auth.token.rootcertbundle`). */
  readonly certFile: string;
  /** Every token request seen, for assertions about caching. */
  readonly requests: TokenRequest[];
  close(): Promise<void>;
}

/** Generates the signing key and its certificate in `dir` with openssl (argument arrays, no shell). */
function makeSigningCert(dir: string): { key: KeyObject; certDer: Buffer; certFile: string } {
  const keyFile = join(dir, 'token-key.pem');
  const certFile = join(dir, 'token-cert.pem');
  const r = spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=podsmith-test-token-issuer'],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`openssl failed (${r.status}): ${r.stderr}`);
  const key = createPrivateKey(readFileSync(keyFile));
  const certDer = Buffer.from(new X509Certificate(readFileSync(certFile)).raw);
  return { key, certDer, certFile };
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

function parseScope(scope: string): { type: string; name: string; actions: string[] } | undefined {
  // `repository:name/with/slashes:pull,push`; the name may not contain ':' but the type may carry a class.
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first < 0 || last === first) return undefined;
  return { type: scope.slice(0, first).replace(/\(.*\)$/, ''), name: scope.slice(first + 1, last), actions: scope.slice(last + 1).split(',').filter(Boolean) };
}

export async function startTokenServer(dir: string, opts: TokenServerOptions): Promise<TokenServer> {
  const { key, certDer, certFile } = makeSigningCert(dir);
  const requests: TokenRequest[] = [];
  const ttl = opts.ttlSeconds ?? 300;

  function issue(subject: string, access: { type: string; name: string; actions: string[] }[]): string {
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'ES256', x5c: [certDer.toString('base64')] };
    const claims = { iss: opts.issuer, sub: subject, aud: opts.service, exp: now + ttl, nbf: now - 5, iat: now, jti: randomUUID(), access };
    const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    // JWS wants the raw r||s form, not DER.
    const sig = sign('sha256', Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' });
    return `${signingInput}.${b64url(sig)}`;
  }

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://token');
    if (url.pathname !== '/token') {
      res.writeHead(404).end();
      return;
    }
    let user: TestUser | undefined;
    const authz = req.headers.authorization;
    if (authz) {
      const m = /^Basic\s+(.+)$/i.exec(authz);
      const decoded = m ? Buffer.from(m[1], 'base64').toString('utf8') : '';
      const colon = decoded.indexOf(':');
      const name = decoded.slice(0, colon);
      const pass = decoded.slice(colon + 1);
      user = opts.users.find((u) => u.username === name && u.password === pass);
      if (!user || colon < 0) {
        requests.push({ account: url.searchParams.get('account') ?? undefined, scopes: url.searchParams.getAll('scope'), authenticated: false });
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'invalid username or password' }] }));
        return;
      }
    }
    const scopes = url.searchParams.getAll('scope').flatMap((s) => s.split(' ')).filter(Boolean);
    requests.push({ account: url.searchParams.get('account') ?? undefined, scopes, authenticated: !!user });
    if (url.searchParams.get('service') !== opts.service) {
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'DENIED', message: 'unknown service' }] }));
      return;
    }
    const access = scopes
      .map(parseScope)
      .filter((s): s is NonNullable<typeof s> => !!s)
      .map((s) => ({ ...s, actions: user ? s.actions : opts.anonymousPull ? s.actions.filter((a) => a === 'pull') : [] }));
    const token = issue(user?.username ?? '', access);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ token, access_token: token, expires_in: ttl, issued_at: new Date().toISOString() }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    certFile,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
