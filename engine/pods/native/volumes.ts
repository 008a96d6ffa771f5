// Pod volumes on the host, made once per pod under `volumes/<name>/` and bind-mounted into containers:
// emptyDir (a tmpfs with `medium: Memory`, sized as the kubelet sizes it), hostPath with its type checks,
// configMap, secret and downwardAPI files (items, modes; read-only in every container as the kubelet mounts
// them), and projected volumes of those three. With a pod fsGroup, every volume but hostPath is given that
// group and the setgid bit (the kubelet's SetVolumeOwnership). Files are written once at creation; updates
// to the sources do not propagate (there is no API server to watch). Both runtimes use prepareVolumes;
// pod-containers mounts subPaths through subpath-mounts.ts, pod-wasm through containerMounts here.
import { constants } from 'node:fs';
import { chmod, lchown, lstat, mkdir, open, readdir, realpath, stat, writeFile } from 'node:fs/promises';
import { totalmem } from 'node:os';
import { dirname, isAbsolute, join, normalize } from 'node:path';
import { fieldRefValue, resourceFieldRefValue, type MountInput, type PodFacts } from '../../image/bundle';
import { GiB, parseQuantity } from '../../limits';
import { PodError } from '../types';
import type { ConfigData } from './admit';
import { mountTmpfs } from './host-mounts';
import type { PodPaths } from './paths';
import { podLimits } from './pod-limits';
import type { DownwardAPIVolumeFile, KeyToPath, PodContainer, PodObject, Volume, VolumeMount } from './pod-spec';

export interface PreparedVolume {
  name: string;
  path: string;
  /** configMap, secret, downwardAPI and projected volumes are always mounted read-only. */
  forceReadOnly: boolean;
  /** Whether subPath directories may be created in it. */
  writable: boolean;
}

export interface VolumeSources {
  configMaps: Record<string, ConfigData>;
  secrets: Record<string, ConfigData>;
}

const DEFAULT_MODE = 0o644;

/**
 * The size of a memory-backed emptyDir without a smaller sizeLimit or pod memory limit: 1 GiB, or half the
 * host's memory where that is less (the tmpfs default). Without it every such volume could take half the RAM.
 */
export const DEFAULT_MEMORY_EMPTYDIR_BYTES = 1 * GiB;

function invalid(message: string): PodError {
  return new PodError(message, 'INVALID');
}

/** emptyDir and hostPath volumes take writes; configMap, secret, downwardAPI and projected are read-only. */
export function volumeIsWritable(v: Volume): boolean {
  return !!(v.emptyDir || v.hostPath);
}

function quantityBytes(raw: string | number | undefined): number | undefined {
  const q = raw === undefined ? undefined : parseQuantity(raw);
  return q ? Number(q.num / q.den) : undefined;
}

/**
 * A memory-backed emptyDir's tmpfs size, as the kubelet computes it: the pod's memory limit (when every
 * container has one), else the engine default; the volume's sizeLimit where it is smaller.
 */
export function memoryEmptyDirBytes(v: Volume, pod: PodObject): number {
  let size = Math.min(DEFAULT_MEMORY_EMPTYDIR_BYTES, Math.floor(totalmem() / 2));
  const podMemory = podLimits(pod, 0).memoryBytes;
  if (podMemory && podMemory > 0 && podMemory < size) size = podMemory;
  const limit = quantityBytes(v.emptyDir?.sizeLimit);
  if (limit && limit > 0 && limit < size) size = limit;
  return size;
}

/** File modes are permission bits only: setuid, setgid and sticky are refused, as the API server does. */
function checkMode(mode: number | undefined, where: string): void {
  if (mode === undefined) return;
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o777)
    throw invalid(`${where}: mode ${Number.isInteger(mode) && mode >= 0 ? `0${mode.toString(8)}` : String(mode)} must be a number between 0 and 0777 (octal), both inclusive`);
}

const MAX_GID = 2 ** 32 - 2;
const RW_MASK = 0o660;
const RO_MASK = 0o440;
const EXEC_MASK = 0o110;
const SETGID = 0o2000;

/**
 * The kubelet's SetVolumeOwnership: every file and directory gets the group `gid` and group read (and write
 * unless read-only); directories also get group search and setgid, so files created later inherit the group.
 * Symlinks get the group only. Runs before any container can touch the volume.
 */
async function setVolumeOwnership(root: string, gid: number, readOnly: boolean): Promise<void> {
  const mask = readOnly ? RO_MASK : RW_MASK;
  const visit = async (path: string): Promise<void> => {
    const st = await lstat(path);
    await lchown(path, -1, gid);
    if (st.isSymbolicLink()) return;
    const mode = st.mode & 0o7777;
    if (st.isDirectory()) {
      await chmod(path, mode | mask | EXEC_MASK | SETGID);
      for (const name of await readdir(path)) await visit(join(path, name));
    } else await chmod(path, mode | mask);
  };
  await visit(root);
}

/** A relative file path inside a volume: no absolute paths, no `..`, as the API server validates. */
export function safeRelative(path: string, what: string): string {
  if (!path || isAbsolute(path) || normalize(path).split('/').includes('..')) throw invalid(`${what}: "${path}" must be a relative path without ".."`);
  return normalize(path);
}

async function writeVolumeFile(root: string, rel: string, data: Buffer | string, mode: number): Promise<void> {
  const target = join(root, rel);
  await mkdir(dirname(target), { recursive: true, mode: 0o755 });
  await writeFile(target, data, { mode });
  // writeFile's mode is filtered by the umask; the manifest's mode is meant exactly.
  await chmod(target, mode);
}

function keyFiles(
  kind: 'configMap' | 'secret',
  name: string,
  data: ConfigData | undefined,
  items: KeyToPath[] | undefined,
  optional: boolean | undefined,
  volume: string,
): { path: string; data: Buffer; mode?: number }[] {
  if (!data) {
    if (optional) return [];
    throw invalid(`volume "${volume}": ${kind} "${name}" not found (add it to the file or folder, or mark the volume optional)`);
  }
  if (!items) return Object.entries(data.bytes).map(([key, bytes]) => ({ path: key, data: bytes }));
  return items.flatMap((item) => {
    const bytes = data.bytes[item.key];
    if (!bytes) {
      if (optional) return [];
      throw invalid(`volume "${volume}": ${kind} "${name}" has no key "${item.key}"`);
    }
    return [{ path: item.path, data: bytes, mode: item.mode }];
  });
}

function downwardValue(file: DownwardAPIVolumeFile, facts: PodFacts, containers: PodContainer[], volume: string): string {
  if (file.fieldRef) {
    // Whole label and annotation maps are files of `key="value"` lines, sorted, as the kubelet writes them.
    const whole = file.fieldRef.fieldPath === 'metadata.labels' ? facts.labels : file.fieldRef.fieldPath === 'metadata.annotations' ? facts.annotations : undefined;
    if (whole !== undefined || file.fieldRef.fieldPath === 'metadata.labels' || file.fieldRef.fieldPath === 'metadata.annotations')
      return Object.keys(whole ?? {})
        .sort()
        .map((k) => `${k}=${JSON.stringify((whole ?? {})[k])}`)
        .join('\n');
    return fieldRefValue(file.fieldRef.fieldPath, facts);
  }
  if (file.resourceFieldRef) {
    const container = containers.find((c) => c.name === file.resourceFieldRef!.containerName);
    if (!container) throw invalid(`volume "${volume}": resourceFieldRef needs containerName of a container of this pod`);
    return resourceFieldRefValue(file.resourceFieldRef, container);
  }
  throw invalid(`volume "${volume}": downwardAPI item ${file.path} has neither fieldRef nor resourceFieldRef`);
}

async function checkHostPath(v: Volume): Promise<string> {
  const { path, type = '' } = v.hostPath!;
  if (!isAbsolute(path)) throw invalid(`volume "${v.name}": hostPath "${path}" must be absolute`);
  const st = await stat(path).catch(() => undefined);
  const fail = (what: string) => new PodError(`volume "${v.name}": hostPath ${path} ${what} (type ${type})`, 'START_FAILED');
  switch (type) {
    case '':
      break;
    case 'DirectoryOrCreate':
      if (!st) await mkdir(path, { recursive: true, mode: 0o755 });
      else if (!st.isDirectory()) throw fail('is not a directory');
      break;
    case 'Directory':
      if (!st?.isDirectory()) throw fail(st ? 'is not a directory' : 'does not exist');
      break;
    case 'FileOrCreate':
      if (!st) {
        // Like the kubelet: the file is created, its parent directory is not.
        const fh = await open(path, constants.O_CREAT | constants.O_WRONLY, 0o644).catch((e: Error) => {
          throw fail(`cannot be created: ${e.message}`);
        });
        await fh.close();
      } else if (!st.isFile()) throw fail('is not a regular file');
      break;
    case 'File':
      if (!st?.isFile()) throw fail(st ? 'is not a regular file' : 'does not exist');
      break;
    case 'Socket':
      if (!st?.isSocket()) throw fail(st ? 'is not a socket' : 'does not exist');
      break;
    case 'CharDevice':
      if (!st?.isCharacterDevice()) throw fail(st ? 'is not a character device' : 'does not exist');
      break;
    case 'BlockDevice':
      if (!st?.isBlockDevice()) throw fail(st ? 'is not a block device' : 'does not exist');
      break;
    default:
      throw invalid(`volume "${v.name}": unknown hostPath type "${type}"`);
  }
  return path;
}

/** Every defaultMode and item mode of the volume (the linter's volume-file-mode, enforced even when suppressed). */
function checkModes(v: Volume): void {
  const at = (field: string) => `volume "${v.name}": ${field}`;
  const items = (list: { mode?: number }[] | undefined, field: string) => list?.forEach((item, i) => checkMode(item.mode, at(`${field}[${i}].mode`)));
  for (const [kind, source] of [['configMap', v.configMap], ['secret', v.secret], ['downwardAPI', v.downwardAPI], ['projected', v.projected]] as const) {
    if (!source) continue;
    checkMode(source.defaultMode, at(`${kind}.defaultMode`));
    if ('items' in source) items(source.items, `${kind}.items`);
  }
  v.projected?.sources?.forEach((s, i) => {
    items(s.configMap?.items, `projected.sources[${i}].configMap.items`);
    items(s.secret?.items, `projected.sources[${i}].secret.items`);
    items(s.downwardAPI?.items, `projected.sources[${i}].downwardAPI.items`);
  });
}

export async function prepareVolumes(pod: PodObject, paths: PodPaths, sources: VolumeSources, facts: PodFacts): Promise<Map<string, PreparedVolume>> {
  const out = new Map<string, PreparedVolume>();
  const containers = [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
  const fsGroup = pod.spec.securityContext?.fsGroup;
  // -1 would mean "leave the group" to chown: only real group ids are applied.
  if (fsGroup !== undefined && (!Number.isInteger(fsGroup) || fsGroup < 0 || fsGroup > MAX_GID)) throw invalid(`securityContext.fsGroup ${fsGroup} is not a valid group id`);
  for (const v of pod.spec.volumes ?? []) checkModes(v);
  for (const v of pod.spec.volumes ?? []) {
    const dir = paths.volume(v.name);
    if (v.hostPath) {
      // Never re-owned: the host's files are not the pod's to change.
      out.set(v.name, { name: v.name, path: await checkHostPath(v), forceReadOnly: false, writable: true });
      continue;
    }
    await mkdir(dir, { recursive: true, mode: 0o755 });
    if (v.emptyDir) {
      if (v.emptyDir.medium === 'Memory') await mountTmpfs(dir, memoryEmptyDirBytes(v, pod));
      else await chmod(dir, 0o777);
      if (fsGroup !== undefined) await setVolumeOwnership(dir, fsGroup, false);
      out.set(v.name, { name: v.name, path: dir, forceReadOnly: false, writable: true });
      continue;
    }
    const files: { path: string; data: Buffer | string; mode?: number }[] = [];
    let defaultMode = DEFAULT_MODE;
    if (v.configMap) {
      defaultMode = v.configMap.defaultMode ?? DEFAULT_MODE;
      files.push(...keyFiles('configMap', v.configMap.name, sources.configMaps[v.configMap.name], v.configMap.items, v.configMap.optional, v.name));
    } else if (v.secret) {
      defaultMode = v.secret.defaultMode ?? DEFAULT_MODE;
      const name = v.secret.secretName ?? '';
      files.push(...keyFiles('secret', name, sources.secrets[name], v.secret.items, v.secret.optional, v.name));
    } else if (v.downwardAPI) {
      defaultMode = v.downwardAPI.defaultMode ?? DEFAULT_MODE;
      for (const item of v.downwardAPI.items ?? []) files.push({ path: item.path, data: downwardValue(item, facts, containers, v.name), mode: item.mode });
    } else if (v.projected) {
      defaultMode = v.projected.defaultMode ?? DEFAULT_MODE;
      for (const s of v.projected.sources ?? []) {
        if (s.configMap) files.push(...keyFiles('configMap', s.configMap.name, sources.configMaps[s.configMap.name], s.configMap.items, s.configMap.optional, v.name));
        if (s.secret) files.push(...keyFiles('secret', s.secret.name, sources.secrets[s.secret.name], s.secret.items, s.secret.optional, v.name));
        for (const item of s.downwardAPI?.items ?? []) files.push({ path: item.path, data: downwardValue(item, facts, containers, v.name), mode: item.mode });
      }
    } else {
      const kind = Object.keys(v).find((k) => k !== 'name') ?? 'unknown';
      throw invalid(`volume "${v.name}": ${kind} volumes are not supported by pod-containers (emptyDir, hostPath, configMap, secret, downwardAPI, projected are)`);
    }
    for (const f of files) await writeVolumeFile(dir, safeRelative(f.path, `volume "${v.name}"`), f.data, f.mode ?? defaultMode);
    if (fsGroup !== undefined) await setVolumeOwnership(dir, fsGroup, true);
    out.set(v.name, { name: v.name, path: dir, forceReadOnly: true, writable: false });
  }
  return out;
}

export const PROPAGATION: Record<string, MountInput['propagation']> = { None: 'rprivate', HostToContainer: 'rslave', Bidirectional: 'rshared' };

/**
 * The container's volume mounts as bundle-builder mounts, subPaths resolved once, by path, inside their volume.
 * pod-wasm's preopens use this; pod-containers resolves subPaths at every start (subpath-mounts.ts).
 */
export async function containerMounts(container: PodContainer, volumes: Map<string, PreparedVolume>): Promise<MountInput[]> {
  const out: MountInput[] = [];
  for (const m of container.volumeMounts ?? []) out.push(await oneMount(container, m, volumes));
  return out;
}

async function oneMount(container: PodContainer, m: VolumeMount, volumes: Map<string, PreparedVolume>): Promise<MountInput> {
  const v = volumes.get(m.name);
  if (!v) throw invalid(`container "${container.name}": volumeMount "${m.name}" names no volume of the pod`);
  if (m.subPathExpr) throw invalid(`container "${container.name}": subPathExpr is not supported yet; use subPath`);
  let source = v.path;
  if (m.subPath) {
    source = join(v.path, safeRelative(m.subPath, `container "${container.name}" subPath`));
    if (v.writable && !(await lstat(source).catch(() => undefined))) await mkdir(source, { recursive: true, mode: 0o755 });
    // A symlink inside the volume must not lead the bind mount out of it.
    const [real, base] = await Promise.all([realpath(source).catch(() => source), realpath(v.path)]);
    if (real !== base && !real.startsWith(base + '/')) throw invalid(`container "${container.name}": subPath ${m.subPath} leaves volume "${m.name}"`);
    source = real;
  }
  return {
    destination: m.mountPath,
    source,
    readOnly: v.forceReadOnly || m.readOnly === true,
    ...(m.mountPropagation ? { propagation: PROPAGATION[m.mountPropagation] ?? 'rprivate' } : {}),
  };
}
