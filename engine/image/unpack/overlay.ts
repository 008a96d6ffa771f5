// overlayfs for rootfs assembly: cached layers as read-only lowerdirs, a per-container upperdir. Whether it
// works is probed once per process by mounting a tiny overlay with a whiteout (it needs root, and overlay on
// overlay or on some filesystems fails inside containers); PODSMITH_ROOTFS=copy|overlay overrides the probe.
//
// The lowers are named through short symlinks (`l/0`, `l/1`, ...): the kernel takes at most one page of mount
// options, which 128 absolute layer paths would overflow. The mount and unmount are made with mount(2) and
// umount2(2) in this process (koffi) when the options fit with absolute paths; otherwise, and where koffi is
// missing, mount(8) runs with its working directory in the container dir and relative names, and umount(8).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NativeUnavailableError } from '../../../native/libc';
import { mountFilesystem, unmountPath } from '../../../native/mount';
import { makeWhiteoutDevice } from './special-files';

/** What the kernel copies of mount options: one page, less a margin. */
const MAX_OPTIONS = 4000;

function run(cmd: string, args: string[], cwd?: string): Promise<{ ok: boolean; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', (e) => resolve({ ok: false, err: e.message }));
    child.on('close', (code) => resolve({ ok: code === 0, err: err.trim() }));
  });
}

/**
 * Mounts an overlay at `<dir>/rootfs` with `<dir>/upper` and `<dir>/work`; `lowers` are layer roots, top first.
 * Throws with mount's message on failure.
 */
export async function mountOverlay(dir: string, lowers: string[]): Promise<void> {
  await mkdir(join(dir, 'l'), { mode: 0o700 });
  const names: string[] = [];
  for (let i = 0; i < lowers.length; i++) {
    await symlink(lowers[i], join(dir, 'l', String(i)));
    names.push(`l/${i}`);
  }
  const absolute = `lowerdir=${names.map((n) => join(dir, n)).join(':')},upperdir=${join(dir, 'upper')},workdir=${join(dir, 'work')}`;
  // A comma or colon in the path would split the options: those go the relative way.
  if (absolute.length <= MAX_OPTIONS && !/[,:\\]/.test(dir)) {
    try {
      mountFilesystem('overlay', join(dir, 'rootfs'), absolute);
      return;
    } catch (err) {
      if (!(err instanceof NativeUnavailableError)) throw new Error(`mount -t overlay failed: ${(err as Error).message}`);
    }
  }
  const options = `lowerdir=${names.join(':')},upperdir=upper,workdir=work`;
  const r = await run('mount', ['-t', 'overlay', 'overlay', '-o', options, 'rootfs'], dir);
  if (!r.ok) throw new Error(`mount -t overlay failed: ${r.err}`);
}

/** Mount points as /proc/self/mountinfo lists them (octal escapes decoded). */
async function mountPoints(): Promise<Set<string>> {
  const text = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    const field = line.split(' ')[4];
    if (field) out.add(field.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
  }
  return out;
}

export async function isMountPoint(path: string): Promise<boolean> {
  const real = await realpath(path).catch(() => undefined);
  return real !== undefined && (await mountPoints()).has(real);
}

export async function unmount(path: string): Promise<void> {
  try {
    unmountPath(path);
    return;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // Not a mount point (EINVAL), or no such path: nothing to unmount.
    if (code === 'EINVAL' || code === 'ENOENT') return;
    if (!(err instanceof NativeUnavailableError)) throw new Error(`umount ${path} failed: ${(err as Error).message}`);
  }
  if (!(await isMountPoint(path))) return;
  const r = await run('umount', [path]);
  if (!r.ok) throw new Error(`umount ${path} failed: ${r.err}`);
}

/** A process's probe directory names its pid: one left by a process that is gone (killed mid-probe) is swept. */
const PROBE_DIR = /^overlay-probe-(\d+)-[0-9a-f]+$/;

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Unmounts and removes probe directories whose process is gone (a daemon killed while it probed). */
async function sweepProbes(scratch: string): Promise<void> {
  for (const name of await readdir(scratch).catch(() => [] as string[])) {
    const m = PROBE_DIR.exec(name);
    if (!m || processExists(Number(m[1]))) continue;
    const dir = join(scratch, name);
    await unmount(join(dir, 'rootfs')).catch(() => {});
    await rm(dir, { recursive: true, force: true }).catch(() => {});
  }
}

async function probe(scratch: string): Promise<boolean> {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  await sweepProbes(scratch);
  const dir = join(scratch, `overlay-probe-${process.pid}-${randomBytes(6).toString('hex')}`);
  try {
    await mkdir(join(dir, 'low1'), { recursive: true, mode: 0o700 });
    await mkdir(join(dir, 'low2'));
    for (const d of ['upper', 'work', 'rootfs']) await mkdir(join(dir, d));
    await writeFile(join(dir, 'low1', 'hidden'), 'x');
    await writeFile(join(dir, 'low1', 'shown'), 'x');
    if (!(await makeWhiteoutDevice(join(dir, 'low2', 'hidden')))) return false;
    try {
      await mountOverlay(dir, [join(dir, 'low2'), join(dir, 'low1')]);
    } catch {
      return false;
    }
    try {
      const names = await readdir(join(dir, 'rootfs'));
      return names.includes('shown') && !names.includes('hidden');
    } finally {
      await unmount(join(dir, 'rootfs'));
    }
  } catch {
    return false;
  } finally {
    await rm(dir, { recursive: true, force: true }).catch(() => {});
  }
}

const probes = new Map<string, Promise<boolean>>();

/** Whether overlay rootfs work here; `scratch` is a private dir on the store's filesystem. Memoised. */
export function overlaySupported(scratch: string, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  if (env.PODSMITH_ROOTFS === 'copy') return Promise.resolve(false);
  if (env.PODSMITH_ROOTFS === 'overlay') return Promise.resolve(true);
  let p = probes.get(scratch);
  if (!p) {
    p = probe(scratch);
    probes.set(scratch, p);
  }
  return p;
}
