// Podsmith's own credential store: $PODSMITH_HOME/auth.json, in the containers auth.json format
// ({"auths": {"host:port": {"auth": base64("user:password")}}}) so other tools can read it too. It is written
// with mode 0600 in the 0700 home, replaced atomically so a crash never leaves half a file.
import { chmodSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ensurePrivateDir } from '../../home';
import { normalizeRegistryHost } from '../reference';
import { ImageError } from '../types';
import { podsmithAuthFile, readAuthFile, type Credentials } from './credentials';

function load(path: string): { auths: Record<string, unknown>; [k: string]: unknown } {
  let file;
  try {
    file = readAuthFile(path);
  } catch (err) {
    throw new ImageError(`cannot update ${path}: ${(err as Error).message}; fix or remove it`, 'CONFIG');
  }
  const auths = file?.auths && typeof file.auths === 'object' ? file.auths : {};
  return { ...(file ?? {}), auths: { ...auths } };
}

function store(path: string, data: object): void {
  ensurePrivateDir(dirname(path));
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, JSON.stringify(data, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  chmodSync(path, 0o600);
}

/** Saves credentials for `registry`; returns the file written. */
export function saveCredentials(registry: string, creds: Credentials, env: NodeJS.ProcessEnv = process.env): string {
  const path = podsmithAuthFile(env);
  const data = load(path);
  data.auths[normalizeRegistryHost(registry)] = { auth: Buffer.from(`${creds.username}:${creds.password}`, 'utf8').toString('base64') };
  store(path, data);
  return path;
}

/** Forgets the credentials for `registry`; false when there were none. */
export function removeCredentials(registry: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const path = podsmithAuthFile(env);
  const data = load(path);
  const key = normalizeRegistryHost(registry);
  if (!(key in data.auths)) return false;
  delete data.auths[key];
  store(path, data);
  return true;
}
