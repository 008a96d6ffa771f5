// What a wasm pod's sandbox (sandbox.ts) holds besides the pod itself: the Node binary and the shared
// libraries it loads, each bind-mounted read-only at its own path, and the supervisor's code under /app
// (supervisor-command.ts); nothing else of the host. The libraries are the ones the dynamic loader names for the binary (LD_TRACE_LOADED_OBJECTS, what
// ldd does), found once per process.
//
// The root directory of the sandbox is a skeleton of empty mount points, the same for every sandbox with the
// same binds. runc enters it from inside the sandbox's user namespace, as the sandbox's unprivileged id, so it
// cannot live in PODSMITH_HOME (0700): it is made under /run/podsmith/ (root's, 0755), named by a hash of
// its layout, and is never written once made (the sandbox's root is mounted read-only).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize } from 'node:path';
import { skeletonParent } from '../../rootless/wasm-sandbox';

/** Where the skeletons live; root's (a rootless user's own, engine/rootless/wasm-sandbox.ts), and traversable by the sandboxes' ids. */
export const SKELETON_PARENT = skeletonParent();

/** Mount points of the sandbox itself (sandbox-spec.ts mounts them). */
export const SANDBOX_DIRS = ['/proc', '/dev', '/tmp', '/s'] as const;

export interface SandboxBind {
  /** Path inside the sandbox. */
  path: string;
  /** What is mounted there (the real path on the host). */
  source: string;
  directory: boolean;
}

let libraries: string[] | undefined;

/** Shared libraries the dynamic loader loads for `binary` (absolute paths, loader included). */
export function loadedLibraries(binary: string): string[] {
  if (libraries) return libraries;
  const r = spawnSync(binary, [], { env: { LD_TRACE_LOADED_OBJECTS: '1' }, encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`cannot list the libraries of ${binary}: ${r.stderr?.trim() || r.error?.message || `exit code ${r.status}`}`);
  const out: string[] = [];
  for (const line of r.stdout.split('\n')) {
    // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" or "/lib64/ld-linux-x86-64.so.2 (0x...)"; the
    // vDSO has no file.
    const m = /(?:=>\s*)?(\/\S+)\s+\(0x[0-9a-f]+\)\s*$/.exec(line.trim());
    if (m) out.push(m[1]);
  }
  libraries = [...new Set(out)];
  return libraries;
}

function bindOf(path: string, from = path): SandboxBind {
  const clean = normalize(path);
  if (!isAbsolute(clean)) throw new Error(`sandbox bind ${path} is not absolute`);
  const source = realpathSync(from);
  return { path: clean, source, directory: statSync(source).isDirectory() };
}

/** The binary and its libraries at their own paths, and the code binds, as binds (deduplicated, sorted). */
export function sandboxBinds(nodeBinary: string, code: readonly { source: string; path: string }[]): SandboxBind[] {
  const all = new Map<string, SandboxBind>();
  for (const b of [...[nodeBinary, ...loadedLibraries(nodeBinary)].map((p) => bindOf(p)), ...code.map((c) => bindOf(c.path, c.source))]) all.set(b.path, b);
  // A bind inside another one (a library under a bound code directory) is already there.
  const paths = [...all.keys()].sort();
  return paths.filter((p) => !paths.some((q) => q !== p && all.get(q)!.directory && p.startsWith(q + '/'))).map((p) => all.get(p)!);
}

/** Makes (once) the skeleton root for these binds; returns its path. */
export function ensureSkeleton(binds: readonly SandboxBind[]): string {
  const layout = JSON.stringify({ v: 1, dirs: SANDBOX_DIRS, binds: binds.map((b) => [b.path, b.directory]) });
  const path = join(SKELETON_PARENT, `wasm-root-${createHash('sha256').update(layout).digest('hex').slice(0, 16)}`);
  if (isSkeleton(path)) return path;
  mkdirSync(SKELETON_PARENT, { recursive: true });
  const parent = lstatSync(SKELETON_PARENT);
  if (!parent.isDirectory() || parent.uid !== 0 || (parent.mode & 0o022) !== 0)
    throw new Error(`${SKELETON_PARENT} must be a directory owned by ${SKELETON_PARENT === '/run/podsmith' ? 'root' : 'you'} and writable by ${SKELETON_PARENT === '/run/podsmith' ? 'root' : 'you'} alone`);
  if ((parent.mode & 0o005) !== 0o005) chmodSync(SKELETON_PARENT, 0o755);
  const temp = mkdtempSync(join(SKELETON_PARENT, '.wasm-root-'));
  try {
    // Every level 0755 (mkdtemp makes 0700, and the umask may filter modes): the sandbox's id must enter it.
    const dir = (d: string) => {
      if (d === temp || d.length < temp.length) return;
      dir(dirname(d));
      mkdirSync(d, { recursive: true });
      chmodSync(d, 0o755);
    };
    chmodSync(temp, 0o755);
    for (const d of SANDBOX_DIRS) dir(join(temp, d));
    for (const b of binds) {
      const at = join(temp, b.path);
      dir(b.directory ? at : dirname(at));
      if (!b.directory) {
        writeFileSync(at, '');
        chmodSync(at, 0o644);
      }
    }
    renameSync(temp, path);
  } catch (err) {
    rmSync(temp, { recursive: true, force: true });
    // Another process made the same skeleton meanwhile.
    if (isSkeleton(path)) return path;
    throw err;
  }
  return path;
}

function isSkeleton(path: string): boolean {
  try {
    const st = lstatSync(path);
    return st.isDirectory() && st.uid === 0 && (st.mode & 0o777) === 0o755;
  } catch {
    return false;
  }
}
