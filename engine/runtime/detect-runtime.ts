// Which OCI runtime to use. crun is preferred (faster), then runc, then youki, but only one that really runs a
// container here counts: crun refuses every container on hybrid cgroup hosts, for example. Each candidate is
// probed once by running a trivial container (catatonit --version in the pause rootfs); the verdict is cached
// in memory and in `<home>/runtime/oci-runtimes.json`, keyed by the binary's path, size and mtime.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildBundleConfig, writeBundle } from '../image/bundle';
import { containerCgroupPath, podCgroupPath, removeCgroupTree } from './cgroups';
import { RuntimeError } from './errors';
import { findExecutable } from './executables';
import { OciRuntime, type OciRuntimeInfo, type OciRuntimeName } from './oci-runtime';
import { ensurePauseRootfs, pauseBundleInput } from './pause';
import { runCommand, runtimeMessage } from './run-command';

export const RUNTIME_PREFERENCE: readonly OciRuntimeName[] = ['crun', 'runc', 'youki'];

export interface RuntimeVerdict extends OciRuntimeInfo {
  works: boolean;
  /** Why it does not work (the runtime's own message). */
  reason?: string;
  /** How long the probe container took, ms. */
  probeMs?: number;
  checkedAt: string;
}

interface CacheEntry extends RuntimeVerdict {
  size: number;
  mtimeMs: number;
}

const memory = new Map<string, CacheEntry>();

function cacheFile(home: string): string {
  return join(home, 'runtime', 'oci-runtimes.json');
}

async function readCache(home: string): Promise<Record<string, CacheEntry>> {
  try {
    return JSON.parse(await readFile(cacheFile(home), 'utf8')) as Record<string, CacheEntry>;
  } catch {
    return {};
  }
}

/** Cache writes of this process, one after another (each reads, adds its entry and replaces the file). */
let writes: Promise<void> = Promise.resolve();

function addToCache(home: string, path: string, entry: CacheEntry): Promise<void> {
  const write = writes.then(async () => {
    const file = cacheFile(home);
    await mkdir(join(home, 'runtime'), { recursive: true, mode: 0o700 });
    const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(temp, JSON.stringify({ ...(await readCache(home)), [path]: entry }, null, 2) + '\n', { mode: 0o600 });
    await rename(temp, file);
  });
  writes = write.catch(() => undefined);
  return write;
}

async function versionOf(path: string): Promise<string> {
  const r = await runCommand(path, ['--version'], { timeoutMs: 10_000 });
  return (r.stdout.split('\n').find((l) => l.trim()) ?? '').trim();
}

/** Runs `catatonit --version` as a container with `path`; resolves to the failure text, or undefined on success. */
async function probe(home: string, path: string): Promise<{ reason?: string; ms: number }> {
  const rootfs = await ensurePauseRootfs(home);
  const tag = `probe-${randomBytes(6).toString('hex')}`;
  const dir = join(home, 'runtime', tag);
  const state = join(dir, 'state');
  const cgroup = containerCgroupPath(tag, tag);
  const pod = { name: tag, namespace: 'podsmith', uid: tag };
  const { config } = buildBundleConfig(pauseBundleInput({ pod, rootfs, cgroupsPath: cgroup, command: ['/catatonit', '--version'] }));
  await writeBundle(dir, config);
  const started = Date.now();
  try {
    const r = await runCommand(path, ['--root', state, 'run', '--bundle', dir, tag], { timeoutMs: 15_000 });
    const ms = Date.now() - started;
    if (r.timedOut) return { reason: 'a trivial container did not finish within 15 s', ms };
    if (r.code !== 0) return { reason: runtimeMessage(r.stderr) || `exit code ${r.code}`, ms };
    return { ms };
  } finally {
    await runCommand(path, ['--root', state, 'delete', '--force', tag], { timeoutMs: 10_000 }).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    await removeCgroupTree(podCgroupPath(tag));
  }
}

/** Checks under way, by home and path: the first pods run at once share one probe. */
const checking = new Map<string, Promise<RuntimeVerdict>>();

/** The verdict on one runtime binary (probing it unless a cached verdict for the same file exists). */
export function checkOciRuntime(home: string, path: string, name: string): Promise<RuntimeVerdict> {
  const key = `${home}\0${path}`;
  let check = checking.get(key);
  if (!check) {
    check = verdictOf(home, path, name).finally(() => checking.delete(key));
    checking.set(key, check);
  }
  return check;
}

async function verdictOf(home: string, path: string, name: string): Promise<RuntimeVerdict> {
  const st = await stat(path);
  const fresh = (e: CacheEntry | undefined) => e && e.size === st.size && e.mtimeMs === st.mtimeMs;
  const key = `${home}\0${path}`;
  const inMemory = memory.get(key);
  if (fresh(inMemory)) return inMemory!;
  const cache = await readCache(home);
  if (fresh(cache[path])) {
    memory.set(key, cache[path]);
    return cache[path];
  }
  const version = await versionOf(path).catch(() => '');
  const { reason, ms } = await probe(home, path);
  const entry: CacheEntry = {
    name,
    path,
    version,
    works: reason === undefined,
    ...(reason ? { reason } : {}),
    probeMs: ms,
    checkedAt: new Date().toISOString(),
    size: st.size,
    mtimeMs: st.mtimeMs,
  };
  memory.set(key, entry);
  await addToCache(home, path, entry);
  return entry;
}

/** Verdicts for every installed candidate, in preference order. */
export async function detectOciRuntimes(home: string): Promise<RuntimeVerdict[]> {
  const out: RuntimeVerdict[] = [];
  for (const name of RUNTIME_PREFERENCE) {
    const path = findExecutable(name);
    if (path) out.push(await checkOciRuntime(home, path, name));
  }
  return out;
}

/**
 * The runtime to use: `wanted` (a name or path, `--oci-runtime`) when given, else the first candidate that works.
 * A named runtime that is missing or fails its probe is an error that says why.
 */
export async function selectOciRuntime(home: string, wanted?: string): Promise<OciRuntime> {
  const root = (name: string) => join(home, 'runtime', name);
  if (wanted && wanted !== 'auto') {
    const path = findExecutable(wanted);
    if (!path) throw new RuntimeError(`OCI runtime "${wanted}" is not installed (try apt-get install ${wanted.split('/').pop()})`, 'NOT_INSTALLED');
    const name = path.split('/').pop()!;
    const v = await checkOciRuntime(home, path, name);
    if (!v.works) throw new RuntimeError(`OCI runtime ${name} (${path}) cannot run containers here: ${v.reason}`, 'UNUSABLE', v.reason);
    return new OciRuntime(v, root(name));
  }
  const verdicts = await detectOciRuntimes(home);
  const chosen = verdicts.find((v) => v.works);
  if (!chosen) {
    const why = verdicts.map((v) => `${v.name}: ${v.reason}`).join('; ');
    throw new RuntimeError(
      verdicts.length === 0
        ? 'no OCI runtime is installed: apt-get install runc (or crun)'
        : `no installed OCI runtime can run containers here (${why})`,
      verdicts.length === 0 ? 'NOT_INSTALLED' : 'UNUSABLE',
    );
  }
  return new OciRuntime(chosen, root(chosen.name));
}

/** The runtime a pod was created with, from its recorded name and path (no probe: it already ran). */
export function runtimeFor(home: string, info: OciRuntimeInfo): OciRuntime {
  return new OciRuntime(info, join(home, 'runtime', info.name));
}
