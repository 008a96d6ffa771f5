// PODSMITH_HOME holds images, pod state and the daemon socket: it must be writable by us and writable by no
// one else (a world-writable state dir lets any user plant bundles or sockets). The check does not create it.
import { accessSync, constants as fsConstants, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { podsmithHome } from '../home';
import { timed, type CheckResult } from './types';

function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

function freeSpace(dir: string): number | undefined {
  try {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return undefined;
  }
}

/** The nearest existing ancestor of `p` (p itself when it exists). */
function existingAncestor(p: string): string {
  let cur = p;
  for (;;) {
    try {
      statSync(cur);
      return cur;
    } catch {
      const up = dirname(cur);
      if (up === cur) return cur;
      cur = up;
    }
  }
}

export function homeCheck(env: NodeJS.ProcessEnv = process.env): Promise<CheckResult> {
  return timed('podsmith-home', 'state', true, async () => {
    const home = podsmithHome(env);
    const base = existingAncestor(home);
    const free = freeSpace(base);
    const facts: Record<string, unknown> = { path: home, exists: base === home, ...(free !== undefined ? { freeBytes: free } : {}) };
    const space = free !== undefined ? `, ${formatBytes(free)} free` : '';
    if (base !== home) {
      try {
        accessSync(base, fsConstants.W_OK | fsConstants.X_OK);
      } catch {
        return { ok: false, detail: `${home} does not exist and ${base} is not writable`, fix: `mkdir -m 700 -p ${home} (as a user allowed to), or set PODSMITH_HOME`, facts };
      }
      return { ok: true, detail: `${home} will be created (mode 0700) under ${base}${space}`, facts };
    }
    const st = statSync(home);
    facts.mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
    if (!st.isDirectory()) return { ok: false, detail: `${home} is not a directory`, fix: 'set PODSMITH_HOME to a directory', facts };
    if (st.mode & 0o002) {
      return { ok: false, detail: `${home} is world-writable (mode ${facts.mode}): any user could change Podsmith's state`, fix: `chmod 700 ${home}`, facts };
    }
    const uid = process.getuid?.();
    if (uid !== undefined && st.uid !== uid) {
      return { ok: false, detail: `${home} belongs to uid ${st.uid}, not to this user (uid ${uid})`, fix: `chown ${uid} ${home}, or set PODSMITH_HOME`, facts };
    }
    const probe = join(home, `.doctor-${process.pid}`);
    try {
      writeFileSync(probe, '', { mode: 0o600 });
      rmSync(probe, { force: true });
    } catch (e) {
      return { ok: false, detail: `${home} is not writable: ${(e as Error).message}`, fix: `chmod u+w ${home}, free some space, or set PODSMITH_HOME`, facts };
    }
    return { ok: true, detail: `${home} (mode ${facts.mode})${space}`, facts };
  });
}
