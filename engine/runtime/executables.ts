// Finding helper programs. The daemon may run with a thin PATH (started by an editor), so the usual sbin
// directories and the places distributions hide conmon and catatonit are searched too.
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

const SYSTEM_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Absolute path of `name` (or `name` itself when it is an executable path), else undefined. */
export function findExecutable(name: string, extraDirs: readonly string[] = [], env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (name.includes('/')) return isExecutable(name) ? name : undefined;
  const dirs = [...(env.PATH ?? '').split(delimiter).filter(Boolean), ...SYSTEM_DIRS, ...extraDirs];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

export const CONMON_DIRS = ['/usr/libexec/podman', '/usr/lib/podman', '/usr/libexec/crio'];
export const CATATONIT_DIRS = ['/usr/libexec/catatonit', '/usr/libexec/podman', '/usr/lib/podman'];
