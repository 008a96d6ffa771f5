// pasta (package passt): installed, and able to attach to a pod-like namespace here. Optional: without it pods
// still get their own namespace with loopback (and port-forward), but no outbound traffic and no hostPort.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPasta, stopPasta } from '../network/pasta';
import { findExecutable } from '../network/run-tool';
import { startScratchNetns } from '../network/scratch-netns';
import { timed, type CheckResult } from './types';

/** pasta --version says "unknown version" on Debian: ask dpkg for the package version instead. */
function passtPackageVersion(): string | undefined {
  try {
    return execFileSync('dpkg-query', ['-W', '-f', '${Version}', 'passt'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export function pastaCheck(): Promise<CheckResult> {
  return timed('pasta', 'network', false, async () => {
    const path = findExecutable('pasta');
    if (!path) {
      return { ok: false, detail: 'pasta not found: pods get loopback only (no outbound traffic, no hostPort)', fix: 'apt-get install -y passt' };
    }
    const version = passtPackageVersion();
    const v = version ? { version } : {};
    const ns = await startScratchNetns();
    const dir = mkdtempSync(join(tmpdir(), 'podsmith-doctor-pasta-'));
    const stateFile = join(dir, 'pasta.json');
    try {
      const rec = await startPasta({ netns: ns.pid, stateFile, outbound: true });
      return { ok: true, path, ...v, detail: `${path}${version ? ` (passt ${version})` : ''} attached to a test namespace in ${Math.round(rec.startMs)} ms`, facts: { startMs: rec.startMs } };
    } catch (e) {
      return { ok: false, path, ...v, detail: `pasta cannot attach to a pod namespace here: ${(e as Error).message}` };
    } finally {
      await stopPasta(stateFile).catch(() => {});
      await ns.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
