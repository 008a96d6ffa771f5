// Real registries for tests: Debian's `docker-registry` (CNCF distribution 2.8) on a free loopback port with a
// temporary storage dir, without auth, with basic auth (htpasswd bcrypt) or with token auth (an in-process
// token server). Usage:
//
//   const reg = await startRegistry({ auth: 'basic' });   // reg.host = '127.0.0.1:PORT', reg.user = TEST_USER
//   ...
//   await reg.stop();                                     // in after(): SIGTERM, then removes the temp dir
//
// A fault-injection proxy for transfer tests lives in ./fault-proxy (re-exported here).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTokenServer, type TestUser, type TokenServer } from './token-server';

export { startFaultProxy, type FaultProxy, type FaultRule, type Fault, type SeenRequest } from './fault-proxy';
export type { TestUser, TokenServer, TokenRequest } from './token-server';

export type RegistryAuth = 'none' | 'basic' | 'token';

/** The account every auth-enabled test registry accepts unless `users` says otherwise. */
export const TEST_USER: TestUser = { username: 'podsmith', password: 'pod-test-secret-1' };

export const TOKEN_SERVICE = 'podsmith-test-registry';
const TOKEN_ISSUER = 'podsmith-test-issuer';
const READY_TIMEOUT_MS = 15_000;

export interface StartRegistryOptions {
  auth?: RegistryAuth;
  /** Accounts for basic/token auth (default [TEST_USER]). */
  users?: TestUser[];
  /** Token auth only: anonymous clients may pull (default false). */
  anonymousPull?: boolean;
  /** Token auth only: token lifetime in seconds (default 300). */
  tokenTtlSeconds?: number;
  /** Serve HTTPS with a self-signed certificate for 127.0.0.1 (clients must skip verification). */
  tls?: boolean;
}

export interface TestRegistry {
  /** `127.0.0.1:PORT`: what goes into image references. */
  readonly host: string;
  /** `http://127.0.0.1:PORT` (`https://` with tls). */
  readonly url: string;
  readonly auth: RegistryAuth;
  /** The first account (undefined without auth). */
  readonly user?: TestUser;
  /** Temporary directory holding config and storage; removed by stop(). */
  readonly dir: string;
  /** Token auth only. */
  readonly token?: TokenServer;
  stop(): Promise<void>;
}

/** A port that was free a moment ago (the registry binds it itself; start retries on a clash). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

function htpasswdLine(user: TestUser): string {
  // -i reads the password from stdin so it never shows up in a process listing.
  const r = spawnSync('htpasswd', ['-niB', user.username], { input: user.password + '\n', encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`htpasswd failed (${r.status}): ${r.stderr}`);
  return r.stdout.trim();
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

/** One GET of /v2/, resolving to the status (0 when nothing answers); self-signed certificates are accepted. */
function probe(url: string): Promise<number> {
  return new Promise((resolve) => {
    const get = url.startsWith('https:') ? httpsGet : httpGet;
    const req = get(`${url}/v2/`, { rejectUnauthorized: false, timeout: 1000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

/**
 * Waits for the registry's own "listening on" log line (it has bound its port then), its exit, or the bound;
 * then checks that `/v2/` answers (200, or 401 with auth).
 */
async function waitReady(url: string, child: ChildProcess): Promise<void> {
  let log = '';
  let timer: NodeJS.Timeout | undefined;
  let onData: (s: string) => void = () => undefined;
  let onExit: () => void = () => undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      onData = (s) => {
        log = (log + s).slice(-4000);
        if (/msg="listening on /.test(log)) resolve();
      };
      onExit = () => reject(new Error('registry exited during start'));
      timer = setTimeout(() => reject(new Error(`registry at ${url} not listening after ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
      child.stderr!.on('data', onData);
      child.once('exit', onExit);
    });
  } finally {
    clearTimeout(timer);
    child.stderr!.off('data', onData);
    child.off('exit', onExit);
  }
  const status = await probe(url);
  if (status !== 200 && status !== 401) throw new Error(`registry at ${url} listens but answers /v2/ with ${status}`);
}

/** A self-signed certificate for 127.0.0.1 (openssl, argument arrays). */
function makeServerCert(dir: string): { certificate: string; key: string } {
  const key = join(dir, 'tls-key.pem');
  const certificate = join(dir, 'tls-cert.pem');
  const r = spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', certificate, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`openssl failed (${r.status}): ${r.stderr}`);
  return { certificate, key };
}

export async function startRegistry(opts: StartRegistryOptions = {}): Promise<TestRegistry> {
  const auth = opts.auth ?? 'none';
  const users = opts.users ?? [TEST_USER];
  const dir = mkdtempSync(join(tmpdir(), 'podsmith-registry-'));
  let token: TokenServer | undefined;
  try {
    const authConfig: Record<string, unknown> = {};
    if (auth === 'basic') {
      const file = join(dir, 'htpasswd');
      writeFileSync(file, users.map(htpasswdLine).join('\n') + '\n');
      authConfig.htpasswd = { realm: 'podsmith-test', path: file };
    } else if (auth === 'token') {
      token = await startTokenServer(dir, { users, anonymousPull: opts.anonymousPull, ttlSeconds: opts.tokenTtlSeconds, service: TOKEN_SERVICE, issuer: TOKEN_ISSUER });
      authConfig.token = { realm: token.realm, service: TOKEN_SERVICE, issuer: TOKEN_ISSUER, rootcertbundle: token.certFile };
    }
    const tls = opts.tls ? makeServerCert(dir) : undefined;
    let lastErr = '';
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = await freePort();
      const config = {
        version: '0.1',
        // info, for the "listening on" line waitReady waits for; no access log.
        log: { level: 'info', accesslog: { disabled: true } },
        storage: { filesystem: { rootdirectory: join(dir, 'storage') }, delete: { enabled: true } },
        http: { addr: `127.0.0.1:${port}`, secret: randomBytes(16).toString('hex'), ...(tls ? { tls } : {}) },
        ...(auth === 'none' ? {} : { auth: authConfig }),
      };
      // JSON is YAML, so the registry reads it as is.
      const configFile = join(dir, 'config.yml');
      writeFileSync(configFile, JSON.stringify(config, null, 2));
      // A minimal environment: distribution maps REGISTRY_* variables onto its config.
      const child = spawn('docker-registry', ['serve', configFile], { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
      let stderr = '';
      child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-4000)));
      const url = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
      try {
        await waitReady(url, child);
      } catch (err) {
        child.kill('SIGKILL');
        await waitExit(child, 5000);
        lastErr = `${(err as Error).message}: ${stderr}`;
        if (/address already in use/.test(stderr)) continue;
        throw new Error(lastErr);
      }
      let stopped = false;
      const tokenServer = token;
      return {
        host: `127.0.0.1:${port}`,
        url,
        auth,
        user: auth === 'none' ? undefined : users[0],
        dir,
        token: tokenServer,
        async stop() {
          if (stopped) return;
          stopped = true;
          child.kill('SIGTERM');
          if (!(await waitExit(child, 5000))) {
            child.kill('SIGKILL');
            await waitExit(child, 5000);
          }
          await tokenServer?.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    throw new Error(`registry did not start: ${lastErr}`);
  } catch (err) {
    await token?.close();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
