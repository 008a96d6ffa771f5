// Finds the credentials for a registry in the auth files people already have. Searched in order, first match
// wins:
//   $PODSMITH_HOME/auth.json                      (written by `podsmith login`)
//   $REGISTRY_AUTH_FILE                           (containers auth.json format)
//   ${XDG_RUNTIME_DIR}/containers/auth.json       (podman, skopeo, buildah)
//   ~/.config/containers/auth.json
//   $DOCKER_CONFIG/config.json, else ~/.docker/config.json
// Entries hold `auth` (base64 "user:password") or `username` + `password`. Credential helpers (credsStore,
// credHelpers) are programs Podsmith does not run: when one is configured for a registry the caller gets a note
// saying so. Nothing here ever puts a secret into a note or an error.
import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { podsmithHome } from '../../home';
import { parseJsonQuietly } from '../../text/json-text';
import { DOCKER_HUB, normalizeRegistryHost } from '../reference';

export interface Credentials {
  username: string;
  password: string;
}

export interface CredentialLookup {
  credentials?: Credentials;
  /** The file they came from. */
  source?: string;
  /** Things the user should know (a helper we cannot use, a file we could not read). */
  notes: string[];
}

const AUTH_FILE_MAX_BYTES = 1024 * 1024;

export function podsmithAuthFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(podsmithHome(env), 'auth.json');
}

/** Every file searched, in order. */
export function authFilePaths(env: NodeJS.ProcessEnv = process.env): string[] {
  const home = env.HOME || homedir();
  const paths = [podsmithAuthFile(env)];
  if (env.REGISTRY_AUTH_FILE) paths.push(env.REGISTRY_AUTH_FILE);
  if (env.XDG_RUNTIME_DIR) paths.push(join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json'));
  paths.push(join(env.XDG_CONFIG_HOME || join(home, '.config'), 'containers', 'auth.json'));
  paths.push(join(env.DOCKER_CONFIG || join(home, '.docker'), 'config.json'));
  return [...new Set(paths)];
}

interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
}

interface AuthFile {
  auths?: Record<string, AuthEntry>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

/**
 * Reads an auth file; undefined when it does not exist. Throws with a short reason when it is unusable: for a
 * syntax error the position only, since JSON.parse's own message quotes the bytes there (a password, perhaps).
 */
export function readAuthFile(path: string): AuthFile | undefined {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return undefined;
  }
  if (size > AUTH_FILE_MAX_BYTES) throw new Error('larger than 1 MiB');
  const parsed = parseJsonQuietly(readFileSync(path, 'utf8'));
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object');
  return parsed as AuthFile;
}

/**
 * How specifically an auth key covers `registry/repository`: -1 not at all, 0 the whole registry, more for a
 * namespace (`quay.io/team`), so the longest match wins as in containers-auth.json(5).
 */
function keyScore(key: string, registry: string, repository: string): number {
  const bare = key.trim().replace(/^[a-z]+:\/\//i, '');
  const slash = bare.indexOf('/');
  const host = normalizeRegistryHost(slash >= 0 ? bare.slice(0, slash) : bare);
  if (host !== registry) return -1;
  const path = slash >= 0 ? bare.slice(slash + 1).replace(/\/+$/, '') : '';
  // Docker writes Hub keys as https://index.docker.io/v1/; that path is an API version, not a namespace.
  if (path === '' || /^v[12]$/.test(path)) return 0;
  return repository === path || repository.startsWith(path + '/') ? path.length : -1;
}

function decode(entry: AuthEntry): Credentials | undefined {
  if (typeof entry.auth === 'string' && entry.auth) {
    const text = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = text.indexOf(':');
    if (colon > 0) return { username: text.slice(0, colon), password: text.slice(colon + 1) };
    return undefined;
  }
  if (typeof entry.username === 'string' && entry.username && typeof entry.password === 'string') {
    return { username: entry.username, password: entry.password };
  }
  return undefined;
}

/** Looks up credentials for `registry` (as in ImageReference: `docker.io`, `host:5000`). */
export function findCredentials(registry: string, repository = '', env: NodeJS.ProcessEnv = process.env): CredentialLookup {
  const want = normalizeRegistryHost(registry);
  const notes: string[] = [];
  for (const path of authFilePaths(env)) {
    let file: AuthFile | undefined;
    try {
      file = readAuthFile(path);
    } catch (err) {
      notes.push(`ignoring ${path}: ${(err as Error).message}`);
      continue;
    }
    if (!file) continue;
    let best: { score: number; entry: AuthEntry } | undefined;
    for (const [key, entry] of Object.entries(file.auths ?? {})) {
      if (!entry || typeof entry !== 'object') continue;
      const score = keyScore(key, want, repository);
      if (score >= 0 && (!best || score > best.score) && decode(entry)) best = { score, entry };
    }
    if (best) return { credentials: decode(best.entry), source: path, notes };
    const helper = Object.entries(file.credHelpers ?? {}).find(([k]) => keyScore(k, want, repository) >= 0)?.[1] ?? file.credsStore;
    if (helper) {
      notes.push(
        `${path} names the credential helper "docker-credential-${helper}", which Podsmith does not run; ` +
          `run 'podsmith login ${want === DOCKER_HUB ? 'docker.io' : want}' to give Podsmith its own credentials`,
      );
    }
  }
  return { notes };
}
