// The guest's tools: the host's own Node (which runs the agent), runc (which runs the containers), the koffi
// FFI module the agent uses for ptys, and the shared libraries they load, packed into a read-only squashfs
// image that the guest mounts from a virtio-blk device. A block image rather than a 9p share: the guest keeps
// no 9p mount of its own tools, so a booted guest can be saved as a template (QEMU refuses while 9p is
// mounted). Uncompressed: under TCG, decompression would cost the guest far more than the extra disk reads.
// The image is named by the hash of its inputs' contents and built reproducibly (fixed times, root owner), so
// two builds from the same files are the same bytes.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describeFailure, findExecutable, runTool } from '../../../network/run-tool';
import { guestCacheDir, publish, tempBeside } from './cache';

/** Bumped when the layout changes, so older images are not reused. */
const FORMAT = 'tools-v1';

export interface ToolsInput {
  /** Guest path (relative to the image root) → host file. */
  files: Map<string, { source: string; mode: number }>;
}

export class ToolsUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolsUnavailableError';
  }
}

/** Shared libraries a host binary loads, as `ldd` resolves them (guest paths mirror the host's). */
async function sharedLibraries(binary: string): Promise<string[]> {
  const r = await runTool('ldd', [binary], { timeoutMs: 30_000 });
  if (r.code !== 0) {
    if (/not a dynamic executable/.test(r.stdout + r.stderr)) return [];
    throw new ToolsUnavailableError(describeFailure(`ldd ${binary}`, r));
  }
  const out: string[] = [];
  for (const line of r.stdout.split('\n')) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m) out.push(m[1]);
  }
  return out;
}

function koffiDir(): string | undefined {
  try {
    return dirname(require.resolve('koffi/package.json'));
  } catch {
    return undefined;
  }
}

/** What goes into the image on this host. */
export async function toolsInput(): Promise<ToolsInput> {
  const node = process.execPath;
  const runc = findExecutable('runc');
  if (!runc) throw new ToolsUnavailableError('runc is not installed (apt-get install -y runc): it runs the containers inside the guest');
  const files = new Map<string, { source: string; mode: number }>();
  files.set('usr/bin/node', { source: node, mode: 0o755 });
  files.set('usr/sbin/runc', { source: runc, mode: 0o755 });
  // crun too where the host has it: the agent prefers it (agent/tools.ts).
  const crun = findExecutable('crun');
  if (crun) files.set('usr/bin/crun', { source: crun, mode: 0o755 });
  // catatonit holds a pod's shared PID namespace (shareProcessNamespace; agent/pid-holder.ts). Static here.
  const catatonit = findExecutable('catatonit');
  if (catatonit) files.set('usr/bin/catatonit', { source: catatonit, mode: 0o755 });
  const koffi = koffiDir();
  const koffiNode = koffi && join(koffi, 'build', 'koffi', `linux_${process.arch}`, 'koffi.node');
  if (!koffi || !koffiNode || !existsSync(koffiNode)) throw new ToolsUnavailableError('the koffi module (an npm dependency of Podsmith) is missing: the guest agent needs it for terminals');
  for (const f of ['package.json', 'index.js']) files.set(`node_modules/koffi/${f}`, { source: join(koffi, f), mode: 0o644 });
  files.set(`node_modules/koffi/build/koffi/linux_${process.arch}/koffi.node`, { source: koffiNode, mode: 0o755 });
  for (const bin of [node, runc, ...(crun ? [crun] : []), ...(catatonit ? [catatonit] : []), koffiNode]) {
    for (const lib of await sharedLibraries(bin)) files.set(lib.replace(/^\/+/, ''), { source: lib, mode: 0o755 });
  }
  return { files };
}

// Hashing the 100 MB Node binary on every run would cost a third of a second: a file's content hash is kept
// per (path, size, mtime, inode) in this process and in the cache.
const hashMemo = new Map<string, string>();

async function fileHash(path: string, memoFile: string): Promise<string> {
  const st = await stat(path, { bigint: true });
  const key = `${path}\0${st.size}\0${st.mtimeNs}\0${st.ino}`;
  const known = hashMemo.get(key);
  if (known) return known;
  let memo: Record<string, string> = {};
  try {
    memo = JSON.parse(await readFile(memoFile, 'utf8')) as Record<string, string>;
  } catch {
    // First use.
  }
  if (memo[key]) {
    hashMemo.set(key, memo[key]);
    return memo[key];
  }
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  const digest = h.digest('hex');
  hashMemo.set(key, digest);
  memo[key] = digest;
  const temp = tempBeside(memoFile);
  await mkdir(dirname(memoFile), { recursive: true });
  await writeFile(temp, JSON.stringify(memo));
  await rename(temp, memoFile);
  return digest;
}

export async function toolsKey(input: ToolsInput, cache: string): Promise<string> {
  const h = createHash('sha256').update(FORMAT + '\n');
  for (const [path, f] of [...input.files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    h.update(`${path}\0${f.mode.toString(8)}\0${await fileHash(f.source, join(cache, 'tools', 'hashes.json'))}\n`);
  }
  return h.digest('hex');
}

/** Packs the files into a squashfs image at `out`. */
export async function buildToolsImage(input: ToolsInput, out: string): Promise<void> {
  const mksquashfs = findExecutable('mksquashfs');
  if (!mksquashfs) throw new ToolsUnavailableError('mksquashfs is not installed (apt-get install -y squashfs-tools): it packs the guest tools image');
  const stage = `${out}.stage`;
  await rm(stage, { recursive: true, force: true });
  try {
    for (const [path, f] of input.files) {
      const dest = join(stage, path);
      await mkdir(dirname(dest), { recursive: true, mode: 0o755 });
      await copyFile(f.source, dest);
      await chmod(dest, f.mode);
    }
    // Fixed times, owners and order; no compression (see above); no xattrs; no appending to an old image.
    const args = [stage, out, '-noappend', '-no-progress', '-quiet', '-all-root', '-all-time', '0', '-mkfs-time', '0', '-noI', '-noD', '-noF', '-noX', '-no-xattrs', '-no-exports', '-processors', '1'];
    const r = await runTool(mksquashfs, args, { timeoutMs: 10 * 60_000 });
    if (r.code !== 0) throw new ToolsUnavailableError(describeFailure('mksquashfs', r));
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

/** The tools image for this host's Node and runc, built once per distinct input. */
export async function ensureToolsImage(cache = guestCacheDir()): Promise<{ path: string; key: string }> {
  const input = await toolsInput();
  const key = await toolsKey(input, cache);
  const path = join(cache, 'tools', `${key}.squashfs`);
  if (!existsSync(path)) await publish(path, (temp) => buildToolsImage(input, temp));
  return { path, key };
}
