// The guest kernel: Debian's generic `linux-image-6.1.0-*-amd64` package (the cloud flavour has no 9p),
// fetched with `apt-get download` and unpacked with `dpkg-deb -x` into the cache, never into the repository.
// QEMU's microvm machine boots the uncompressed ELF vmlinux through PVH, so the XZ payload of the package's
// bzImage is unpacked once here (the guest then skips decompressing itself, seconds under TCG). Of the
// package's 400 MB of modules only the few the guest loads are kept, with their load order (dependencies
// first), read from each module's .modinfo since depmod never ran on them.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { describeFailure, findExecutable, runTool } from '../../../network/run-tool';
import { guestCacheDir, publish, tempBeside } from './cache';
import { moduleLoadOrder, moduleName } from './elf-modinfo';

/** What the guest loads: the virtio transport and devices, 9p, overlay (writable layers) and squashfs (tools). */
export const GUEST_MODULES = ['virtio_mmio', 'virtio_console', 'virtio_blk', 'virtio_net', 'virtio_rng', '9pnet_virtio', '9p', 'overlay', 'squashfs'];

export interface GuestKernel {
  /** `6.1.0-57-amd64`: what `uname -r` says in the guest. */
  release: string;
  /** The Debian package it came from and its version. */
  package: string;
  packageVersion: string;
  vmlinux: string;
  /** Module files in load order. */
  modules: { name: string; path: string }[];
  dir: string;
}

interface KernelInfo {
  release: string;
  package: string;
  packageVersion: string;
  modules: string[];
}

export class KernelUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KernelUnavailableError';
  }
}

export function kernelsDir(cache = guestCacheDir()): string {
  return join(cache, 'kernel');
}

/** What to do when no kernel is cached, for errors and `doctor`. */
export const KERNEL_FIX = 'podsmith microvm fetch-kernel (apt-get downloads the kernel package linux-image-amd64 names; the vmlinux and the guest modules are kept in the cache)';

function compareReleases(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

async function readKernel(dir: string): Promise<GuestKernel | undefined> {
  try {
    const info = JSON.parse(await readFile(join(dir, 'kernel.json'), 'utf8')) as KernelInfo;
    await stat(join(dir, 'vmlinux'));
    return { ...info, vmlinux: join(dir, 'vmlinux'), dir, modules: info.modules.map((name) => ({ name, path: join(dir, 'modules', `${name}.ko`) })) };
  } catch {
    return undefined;
  }
}

/** The newest kernel in the cache (one with every module this version of Podsmith loads), if any. */
export async function cachedKernel(cache = guestCacheDir()): Promise<GuestKernel | undefined> {
  const names = await readdir(kernelsDir(cache)).catch(() => [] as string[]);
  const kernels: GuestKernel[] = [];
  for (const n of names.filter((x) => !x.includes('.tmp-'))) {
    const k = await readKernel(join(kernelsDir(cache), n));
    if (k && GUEST_MODULES.every((m) => k.modules.some((x) => x.name === moduleName(m)))) kernels.push(k);
  }
  return kernels.sort((a, b) => compareReleases(b.release, a.release))[0];
}

/** The package `linux-image-amd64` depends on now (the newest generic 6.1 kernel), or PODSMITH_GUEST_KERNEL_PACKAGE. */
async function kernelPackage(): Promise<string> {
  const pinned = process.env.PODSMITH_GUEST_KERNEL_PACKAGE;
  if (pinned) {
    if (!/^linux-image-[0-9][0-9a-z.+-]*-amd64$/.test(pinned)) throw new KernelUnavailableError(`PODSMITH_GUEST_KERNEL_PACKAGE=${pinned} is not a generic linux-image-*-amd64 package name`);
    return pinned;
  }
  const r = await runTool('apt-cache', ['depends', 'linux-image-amd64'], { timeoutMs: 60_000 });
  const m = /Depends:\s*(linux-image-[0-9][^\s]*-amd64)\s*$/m.exec(r.stdout);
  if (!m) throw new KernelUnavailableError(`cannot tell which kernel package linux-image-amd64 stands for (${describeFailure('apt-cache depends linux-image-amd64', r)}); run apt-get update first`);
  return m[1];
}

/** The compressed kernel inside a bzImage (boot protocol >= 2.08: payload_offset and payload_length). */
export function bzImagePayload(bz: Buffer): Buffer {
  if (bz.toString('latin1', 0x202, 0x206) !== 'HdrS') throw new Error('not a bzImage (no HdrS signature)');
  const setupSects = bz[0x1f1] || 4;
  const start = (setupSects + 1) * 512 + bz.readUInt32LE(0x248);
  return bz.subarray(start, start + bz.readUInt32LE(0x24c));
}

/** Unpacks the payload to an ELF vmlinux (XZ, as Debian builds it, or gzip). */
async function extractVmlinux(bzImage: string, out: string): Promise<void> {
  const payload = bzImagePayload(await readFile(bzImage));
  const xz = payload.subarray(0, 6).equals(Buffer.from('fd377a585a00', 'hex'));
  const gz = payload[0] === 0x1f && payload[1] === 0x8b;
  if (!xz && !gz) throw new Error(`the kernel payload's compression is not XZ or gzip (starts ${payload.subarray(0, 6).toString('hex')})`);
  const tool = xz ? findExecutable('xz') : findExecutable('gzip');
  if (!tool) throw new KernelUnavailableError(`${xz ? 'xz' : 'gzip'} is needed to unpack the guest kernel (apt-get install -y ${xz ? 'xz-utils' : 'gzip'})`);
  // The payload is followed by the decompressed size: one stream only.
  const child = spawn(tool, xz ? ['-dc', '--single-stream'] : ['-dc'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  child.stdin.on('error', () => undefined);
  child.stdin.end(payload);
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  await pipeline(child.stdout, createWriteStream(out, { mode: 0o644 }));
  const code = await exited;
  const head = (await readFile(out)).subarray(0, 4);
  // xz exits 2 on the size trailer in some versions; a whole ELF file is what counts.
  if (head.readUInt32BE(0) !== 0x7f454c46) throw new Error(`cannot unpack the kernel (${tool} exit ${code}): ${stderr.trim()}`);
}

async function indexModules(root: string): Promise<Map<string, string>> {
  const index = new Map<string, string>();
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.name.endsWith('.ko')) index.set(moduleName(e.name), p);
    }
  };
  await walk(root);
  return index;
}

/**
 * Downloads the kernel package and keeps the vmlinux and the guest's modules under the cache. Returns the
 * kernel (the cached one when that package is there already).
 */
export async function fetchKernel(cache = guestCacheDir(), onProgress?: (message: string) => void): Promise<GuestKernel> {
  for (const tool of ['apt-get', 'dpkg-deb']) if (!findExecutable(tool)) throw new KernelUnavailableError(`${tool} is needed to fetch the guest kernel (Debian's apt and dpkg)`);
  const pkg = await kernelPackage();
  const target = join(kernelsDir(cache), pkg);
  const existing = await readKernel(target);
  if (existing) return existing;
  await mkdir(kernelsDir(cache), { recursive: true, mode: 0o755 });
  const work = tempBeside(target) + '-work';
  await mkdir(work, { recursive: true });
  try {
    onProgress?.(`downloading ${pkg}`);
    const dl = await runTool('apt-get', ['download', pkg], { cwd: work, timeoutMs: 15 * 60_000 });
    const deb = (await readdir(work)).find((n) => n.endsWith('.deb'));
    if (!deb) throw new KernelUnavailableError(describeFailure(`apt-get download ${pkg}`, dl));
    const packageVersion = deb.split('_')[1] ?? '';
    onProgress?.(`unpacking ${deb}`);
    const x = await runTool('dpkg-deb', ['-x', join(work, deb), join(work, 'x')], { timeoutMs: 15 * 60_000 });
    if (x.code !== 0) throw new KernelUnavailableError(describeFailure(`dpkg-deb -x ${deb}`, x));
    const release = (await readdir(join(work, 'x', 'lib', 'modules')))[0];
    if (!release) throw new KernelUnavailableError(`${deb} holds no modules`);
    const index = await indexModules(join(work, 'x', 'lib', 'modules', release, 'kernel'));
    const order = await moduleLoadOrder(index, GUEST_MODULES);
    await publish(target, async (dir) => {
      await mkdir(join(dir, 'modules'), { recursive: true });
      await extractVmlinux(join(work, 'x', 'boot', `vmlinuz-${release}`), join(dir, 'vmlinux'));
      for (const m of order) await copyFile(m.path, join(dir, 'modules', `${m.name}.ko`));
      await copyFile(join(work, 'x', 'boot', `config-${release}`), join(dir, 'config')).catch(() => undefined);
      const info: KernelInfo = { release, package: pkg, packageVersion, modules: order.map((m) => m.name) };
      await writeFile(join(dir, 'kernel.json'), JSON.stringify(info, null, 1) + '\n');
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  const k = await readKernel(target);
  if (!k) throw new KernelUnavailableError(`the kernel was unpacked but ${target} is not readable`);
  return k;
}

/** The cached kernel, or a fetched one when `fetch` allows; otherwise KernelUnavailableError saying how to get it. */
export async function ensureKernel(opts: { cache?: string; fetch?: boolean; onProgress?: (message: string) => void } = {}): Promise<GuestKernel> {
  const cache = opts.cache ?? guestCacheDir();
  const k = await cachedKernel(cache);
  if (k) return k;
  if (!opts.fetch) throw new KernelUnavailableError(`no guest kernel in ${kernelsDir(cache)}: ${KERNEL_FIX}`);
  return fetchKernel(cache, opts.onProgress);
}
