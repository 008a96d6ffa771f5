// Where built guest artefacts live: the kernel taken from Debian's package, the initramfs and the tools image.
// Every entry is named by the content hash of what went into it, so one cache serves any number of
// PODSMITH_HOMEs (tests make a home each) and a stale entry is simply never asked for again. Entries are
// written under a temporary name and renamed into place, so two builders at once never see half a file.
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** `$PODSMITH_VM_CACHE`, else `$XDG_CACHE_HOME/podsmith/microvm`, else `~/.cache/podsmith/microvm`. */
export function guestCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PODSMITH_VM_CACHE) return env.PODSMITH_VM_CACHE;
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'podsmith', 'microvm');
}

/** A fresh temporary path beside `target` (same file system, so the final rename is atomic). */
export function tempBeside(target: string): string {
  return `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Runs `make(temp)` then renames temp to `target`; the temporary is removed on failure. */
export async function publish(target: string, make: (temp: string) => Promise<void>): Promise<void> {
  await mkdir(dirname(target), { recursive: true, mode: 0o755 });
  const temp = tempBeside(target);
  try {
    await make(temp);
    await rename(temp, target);
  } catch (err) {
    await rm(temp, { recursive: true, force: true });
    // Another builder may have published the same entry meanwhile (rename onto a non-empty directory).
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') return;
    throw err;
  }
}
