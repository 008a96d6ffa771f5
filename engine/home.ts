// Where Podsmith keeps its state: PODSMITH_HOME (when set and not empty), else /var/lib/podsmith for root, else
// $XDG_DATA_HOME/podsmith (~/.local/share/podsmith). Directories are created owner-only.
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { identity } from './rootless/identity';

export function podsmithHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PODSMITH_HOME) return env.PODSMITH_HOME;
  // Root of the host only: root inside a user's namespace (a rootless daemon) is that user.
  if (identity().hostRoot) return '/var/lib/podsmith';
  return userDefaultHome(env);
}

/** A user's default home: $XDG_DATA_HOME/podsmith (~/.local/share/podsmith). */
export function userDefaultHome(env: NodeJS.ProcessEnv = process.env): string {
  const data = env.XDG_DATA_HOME || join(env.HOME || homedir(), '.local', 'share');
  return join(data, 'podsmith');
}

/** Creates `dir` (and parents) with mode 0700 so state is never world-readable or writable. */
export function ensurePrivateDir(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/** Registries the user allows over plain HTTP: PODSMITH_INSECURE_REGISTRIES=host:port,host:port. */
export function insecureRegistries(env: NodeJS.ProcessEnv = process.env): Set<string> {
  return new Set(
    (env.PODSMITH_INSECURE_REGISTRIES ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
}
