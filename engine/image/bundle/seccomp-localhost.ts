// Reading a Localhost seccomp profile: `localhostProfile` is a path relative to `$PODSMITH_HOME/seccomp/`, as
// the kubelet's is relative to its seccomp directory. Absolute paths, `..` and symlinks that lead out of that
// directory are refused, so a manifest can only choose among profiles the host's owner put there.

import { lstat, readFile, realpath } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { parseJsonQuietly } from '../../text/json-text';
import type { SeccompProfile } from './seccomp-profile';
import { toSeccompProfile } from './seccomp-profile';
import { BundleError } from './types';

/** Profiles are small: Docker's default is about 20 KB. */
export const MAX_SECCOMP_PROFILE_BYTES = 1024 * 1024;

export function seccompDir(home: string): string {
  return join(home, 'seccomp');
}

export async function readLocalhostProfile(home: string, localhostProfile: string, container: string): Promise<SeccompProfile> {
  const what = `container "${container}": seccomp localhostProfile "${localhostProfile}"`;
  const dir = seccompDir(home);
  if (localhostProfile.includes('\0') || isAbsolute(localhostProfile) || localhostProfile.split(/[/\\]/).includes('..'))
    throw new BundleError(`${what} must be a path relative to ${dir} without ".." (the kubelet's rule)`, 'SECCOMP');
  const path = join(dir, localhostProfile);
  let real: string;
  try {
    real = await realpath(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new BundleError(`${what}: no such file ${path}`, 'SECCOMP');
    throw new BundleError(`${what}: cannot read ${path}: ${(err as Error).message}`, 'SECCOMP');
  }
  const realDir = await realpath(dir).catch(() => dir);
  const rel = relative(realDir, real);
  if (rel === '' || rel.startsWith('..' + sep) || rel === '..' || isAbsolute(rel))
    throw new BundleError(`${what}: ${path} leads out of ${dir}`, 'SECCOMP');
  const st = await lstat(real);
  if (!st.isFile()) throw new BundleError(`${what}: ${path} is not a regular file`, 'SECCOMP');
  if (st.size > MAX_SECCOMP_PROFILE_BYTES)
    throw new BundleError(`${what}: ${path} is over ${MAX_SECCOMP_PROFILE_BYTES} bytes`, 'SECCOMP');
  const text = await readFile(real, 'utf8');
  let json: unknown;
  try {
    json = parseJsonQuietly(text);
  } catch (err) {
    throw new BundleError(`${what}: ${path} is ${(err as Error).message}`, 'SECCOMP');
  }
  const result = toSeccompProfile(json);
  if ('problems' in result)
    throw new BundleError(`${what}: ${path} is not a seccomp profile: ${result.problems.slice(0, 5).join('; ')}`, 'SECCOMP');
  return result.profile;
}
