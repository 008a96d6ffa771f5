// Host-side mounts a pod owns besides the rootfs overlays: tmpfs emptyDirs and private subPath mounts
// (subpath-mounts.ts). Teardown unmounts everything
// found below the pod directory in /proc/self/mountinfo, deepest first, whatever made it.
import { readFile } from 'node:fs/promises';
import { NativeUnavailableError } from '../../../native/libc';
import { unmountPath } from '../../../native/mount';
import { runCommand } from '../../runtime';

function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Mount points at or below `dir`, deepest first. */
export async function mountsUnder(dir: string): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const point = line.split(' ')[4];
    if (!point) continue;
    const path = unescape(point);
    if (path === dir || path.startsWith(dir + '/')) out.push(path);
  }
  return [...new Set(out)].sort((a, b) => b.length - a.length);
}

export async function mountTmpfs(dir: string, sizeBytes: number): Promise<void> {
  // emptyDir is world-writable (0777) as the kubelet makes it; the size caps memory use (volumes.ts sizes it).
  const options = ['nosuid', 'nodev', 'mode=0777', `size=${sizeBytes}`].join(',');
  const r = await runCommand('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { timeoutMs: 10_000 });
  if (r.code !== 0) throw new Error(`cannot mount a tmpfs at ${dir}: ${r.stderr.trim()}`);
}

/** Unmounts every mount at or below `dir`; a busy one is detached lazily. Returns what could not be unmounted. */
export async function unmountUnder(dir: string): Promise<string[]> {
  // Mounts stacked on one point need one umount each: repeat while a pass makes progress.
  let previous = Infinity;
  for (;;) {
    const points = await mountsUnder(dir);
    if (points.length === 0 || points.length >= previous) return points;
    previous = points.length;
    for (const point of points) await unmountOne(point);
  }
}

/** umount2(2) in this process (no umount(8) per mount), lazily when busy; umount(8) where koffi is missing. */
async function unmountOne(point: string): Promise<void> {
  try {
    for (const detach of [false, true]) {
      try {
        return unmountPath(point, detach);
      } catch (err) {
        if (err instanceof NativeUnavailableError || detach) throw err;
        // Busy: detached on the second try. What still fails shows in the next pass's mountinfo.
      }
    }
  } catch (err) {
    if (!(err instanceof NativeUnavailableError)) return;
  }
  const r = await runCommand('umount', [point], { timeoutMs: 10_000 });
  if (r.code !== 0) await runCommand('umount', ['-l', point], { timeoutMs: 10_000 });
}
