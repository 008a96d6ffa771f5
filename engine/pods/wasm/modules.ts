// Every module is checked before anything runs: size, imports (only WASI preview 1 functions node:wasi
// provides can be satisfied), exports (a WASI command: `_start` and `memory`), memories (declared sizes
// against the container's memory limit and the 65,536-page ceiling), then compiled by V8. The metered
// rewrite is made once per module digest and kept in `$PODSMITH_HOME/wasm-cache/`. What depends only on the
// bytes (V8's verdict, the parsed module, the metered rewrite) is also remembered in this process by digest,
// so the containers of one image, and the next pod of it, skip it (run_pod's start time).
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PodError } from '../types';
import { WasmFormatError } from './binary';
import { capMemory, meterModule, MeteringUnsupported, METERING_VERSION } from './metering';
import { readModuleInfo, type ModuleInfo } from './module-info';
import { meteringCacheDir } from './paths';
import { wasmApi } from './wasm-api';

export const MAX_MODULE_BYTES = 256 * 1024 * 1024;
export const MAX_MEMORY_PAGES = 65_536;
export const PAGE_BYTES = 65_536;

/** What node:wasi's `wasi_snapshot_preview1` provides (Node 20). */
export const WASI_PREVIEW1_FUNCTIONS: ReadonlySet<string> = new Set(
  (
    'args_get args_sizes_get clock_res_get clock_time_get environ_get environ_sizes_get fd_advise fd_allocate fd_close ' +
    'fd_datasync fd_fdstat_get fd_fdstat_set_flags fd_fdstat_set_rights fd_filestat_get fd_filestat_set_size ' +
    'fd_filestat_set_times fd_pread fd_prestat_get fd_prestat_dir_name fd_pwrite fd_read fd_readdir fd_renumber fd_seek ' +
    'fd_sync fd_tell fd_write path_create_directory path_filestat_get path_filestat_set_times path_link path_open ' +
    'path_readlink path_remove_directory path_rename path_symlink path_unlink_file poll_oneoff proc_exit proc_raise ' +
    'random_get sched_yield sock_accept sock_recv sock_send sock_shutdown'
  ).split(' '),
);

export interface PreparedModule {
  /** sha256 of the module as the image holds it. */
  digest: string;
  info: ModuleInfo;
  /** The file to run: the metered rewrite, or the original when it could not be metered. */
  path: string;
  metered: boolean;
  note?: string;
  compileMs: number;
}

function fail(container: string, why: string, code: 'START_FAILED' | 'LIMIT' = 'START_FAILED'): PodError {
  return new PodError(`container "${container}": ${why}`, code, { container });
}

export function sha256(bytes: Uint8Array): string {
  return 'sha256:' + createHash('sha256').update(bytes).digest('hex');
}

/** The module's shape against what WASI preview 1 under node:wasi and the limits allow. */
export function checkModule(container: string, info: ModuleInfo, memoryLimitPages: number, memoryLimitBytes?: number): void {
  for (const i of info.imports) {
    if (i.kind === 'memory') throw fail(container, `the module imports its memory (${i.module}.${i.name}); a WASI command defines its own`);
    if (i.module !== 'wasi_snapshot_preview1' || i.kind !== 'function' || !WASI_PREVIEW1_FUNCTIONS.has(i.name))
      throw fail(container, `the module imports ${i.kind} ${i.module}.${i.name}, which WASI preview 1 (node:wasi) does not provide`);
  }
  const start = info.exports.find((e) => e.name === '_start');
  if (!start || start.kind !== 'function') throw fail(container, 'the module exports no _start function: it is not a WASI command (reactor modules are not supported)');
  if (!info.exports.some((e) => e.name === 'memory' && e.kind === 'memory')) throw fail(container, 'the module exports no memory named "memory", which WASI needs');
  if (info.memories.length !== 1) throw fail(container, `the module defines ${info.memories.length} memories; WASI preview 1 uses exactly one`);
  const m = info.memories[0];
  if (m.is64) throw fail(container, 'the module uses a 64-bit memory, which is not supported');
  if (m.shared) throw fail(container, 'the module uses a shared memory (threads), which is not supported');
  const mib = (pages: number) => `${(pages * PAGE_BYTES) / 1048576} MiB`;
  if (m.min > MAX_MEMORY_PAGES || (m.max ?? 0) > MAX_MEMORY_PAGES)
    throw fail(container, `the module declares ${Math.max(m.min, m.max ?? 0)} memory pages; the limit is ${MAX_MEMORY_PAGES}`, 'LIMIT');
  const limit = memoryLimitBytes !== undefined ? `resources.limits.memory (${memoryLimitBytes} bytes, ${memoryLimitPages} pages)` : '';
  if (m.min > memoryLimitPages) throw fail(container, `the module's initial memory (${m.min} pages, ${mib(m.min)}) exceeds ${limit}`, 'LIMIT');
  if (m.max !== undefined && m.max > memoryLimitPages) throw fail(container, `the module's declared maximum memory (${m.max} pages, ${mib(m.max)}) exceeds ${limit}`, 'LIMIT');
}

async function writeAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const temp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(temp, data, { mode: 0o600 });
  await rename(temp, path);
}

interface CacheMeta {
  metered: boolean;
  note?: string;
}

/** The metered rewrite of `bytes` (from the cache when made before), or the reason it cannot be made. */
async function metered(home: string, digest: string, info: ModuleInfo): Promise<{ bytes?: Buffer; path: string; meta: CacheMeta }> {
  const dir = meteringCacheDir(home);
  const base = join(dir, `${digest.slice(7)}.v${METERING_VERSION}`);
  const cached = await readFile(`${base}.json`, 'utf8').then((t) => JSON.parse(t) as CacheMeta, () => undefined);
  if (cached && !cached.metered) return { path: `${base}.wasm`, meta: cached };
  if (cached) {
    // The rewrite is used only if it is still there and still what it was (a cache is not trusted blindly).
    const bytes = await readFile(`${base}.wasm`).catch(() => undefined);
    if (bytes && wasmApi.validate(bytes)) return { bytes, path: `${base}.wasm`, meta: cached };
  }
  let bytes: Buffer | undefined;
  let meta: CacheMeta;
  try {
    bytes = meterModule(info);
    // The rewrite is checked like any module: a module V8 would refuse is a bug here, not a reason to fail.
    meta = wasmApi.validate(bytes) ? { metered: true } : { metered: false, note: 'the metered rewrite did not validate' };
  } catch (err) {
    if (!(err instanceof MeteringUnsupported) && !(err instanceof WasmFormatError)) throw err;
    meta = { metered: false, note: err.message };
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (meta.metered) await writeAtomic(`${base}.wasm`, bytes!);
  await writeAtomic(`${base}.json`, JSON.stringify(meta));
  return { ...(meta.metered ? { bytes } : {}), path: `${base}.wasm`, meta };
}

/** A module V8 or the parser refused: the reason, without the container (several may share the module). */
class ModuleRejected extends Error {}

interface Examined {
  info: ModuleInfo;
  /** Made once a container's checks passed: a module refused by them is never rewritten. */
  metered?: Promise<Awaited<ReturnType<typeof metered>>>;
  bytes: number;
}

/** Recently examined modules by home and digest, least recently used first; bounded in bytes. */
const examined = new Map<string, Promise<Examined>>();
/** Bytes held by each settled entry (the module and room for its rewrite). */
const examinedSizes = new Map<string, number>();
const EXAMINED_MAX_BYTES = 64 * 1024 * 1024;

async function examine(bytes: Buffer): Promise<Examined> {
  // V8 first: its message is the authoritative one for a malformed module.
  try {
    await wasmApi.compile(bytes);
  } catch (err) {
    throw new ModuleRejected(`the module does not compile: ${(err as Error).message}`);
  }
  try {
    return { info: readModuleInfo(bytes), bytes: bytes.length };
  } catch (err) {
    throw new ModuleRejected(`the module cannot be read: ${(err as Error).message}`);
  }
}

function examineCached(key: string, bytes: Buffer): Promise<Examined> {
  const hit = examined.get(key);
  if (hit) {
    examined.delete(key);
    examined.set(key, hit);
    return hit;
  }
  const p = examine(bytes);
  examined.set(key, p);
  p.then(
    (e) => {
      if (examined.get(key) !== p) return;
      examinedSizes.set(key, 2 * e.bytes);
      let total = [...examinedSizes.values()].reduce((a, b) => a + b, 0);
      for (const k of examined.keys()) {
        if (total <= EXAMINED_MAX_BYTES || k === key) break;
        examined.delete(k);
        total -= examinedSizes.get(k) ?? 0;
        examinedSizes.delete(k);
      }
    },
    () => examined.delete(key),
  );
  return p;
}

/**
 * Checks and compiles one container's module; `dest` receives the file the supervisor will load. Rejects with
 * a PodError naming the container.
 */
export async function prepareModule(
  home: string,
  container: string,
  bytes: Buffer,
  limits: { memoryLimitPages: number; memoryLimitBytes?: number },
  dest: string,
): Promise<PreparedModule> {
  if (bytes.length > MAX_MODULE_BYTES) throw fail(container, `the module is ${bytes.length} bytes; the limit is ${MAX_MODULE_BYTES} (256 MiB)`, 'LIMIT');
  const digest = sha256(bytes);
  const began = performance.now();
  let e: Examined;
  try {
    e = await examineCached(`${home}\0${digest}`, bytes);
  } catch (err) {
    if (err instanceof ModuleRejected) throw fail(container, err.message);
    throw err;
  }
  const compileMs = performance.now() - began;
  const info = e.info;
  checkModule(container, info, limits.memoryLimitPages, limits.memoryLimitBytes);
  e.metered ??= metered(home, digest, info);
  const m = await e.metered.catch((err: unknown) => {
    e.metered = undefined;
    throw err;
  });
  if (m.meta.metered) {
    await writeFile(dest, m.bytes!, { mode: 0o600 });
  } else {
    // Without the grow check, a memory maximum at the limit at least keeps the module inside it.
    await writeFile(dest, capMemory(info, limits.memoryLimitPages), { mode: 0o600 });
  }
  return { digest, info, path: dest, metered: m.meta.metered, ...(m.meta.note ? { note: m.meta.note } : {}), compileMs };
}
