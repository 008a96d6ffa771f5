// Does an OCI runtime really run a container here? Being installed is not enough: crun refuses every
// container on hybrid cgroups, for instance. The trial runs one tiny container the way pods run (cgroupfs,
// new pid/ipc/uts/mount/net namespaces) from a throwaway bundle under a throwaway --root, then removes
// everything it made: the container, its state, its cgroups and the temp dir.
import { adaptBundleForRootless } from '../rootless/bundle';
import type { RuntimeSpec } from '../image/bundle/oci-spec';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { findExecutable, lastLines, runTool } from '../network/run-tool';
import { isStaticElf } from './static-elf';

export interface TrialProgram {
  /** A statically linked binary copied into the rootfs. */
  binary: string;
  /** Arguments after the binary, and what its output must contain. */
  args: string[];
  expect: string;
}

export interface RuntimeTrial {
  ok: boolean;
  ms: number;
  /** Why it failed: the runtime's own last words when it has some. */
  error?: string;
}

const MARK = 'podsmith-doctor-ok';

/** busybox-static if present, else catatonit (static in Debian). */
export function trialProgram(): TrialProgram | undefined {
  const busybox = findExecutable('busybox');
  if (busybox && isStaticElf(busybox)) return { binary: busybox, args: ['echo', MARK], expect: MARK };
  const catatonit = findExecutable('catatonit');
  if (catatonit && isStaticElf(catatonit)) return { binary: catatonit, args: ['--version'], expect: 'catatonit' };
  return undefined;
}

function ociConfig(program: TrialProgram, cgroupsPath: string): object {
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: [`/bin/${basename(program.binary)}`, ...program.args],
      env: ['PATH=/bin'],
      cwd: '/',
      noNewPrivileges: true,
      capabilities: { bounding: [], effective: [], permitted: [] },
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'podsmith-doctor',
    mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }],
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'network' }],
      cgroupsPath,
    },
  };
}

/** Removes the trial's cgroup from every hierarchy (v1 controllers, the hybrid unified mount, or v2). */
function removeCgroups(cgroupsPath: string, cgroupRoot = '/sys/fs/cgroup'): void {
  const dirs = [cgroupRoot];
  try {
    for (const e of readdirSync(cgroupRoot, { withFileTypes: true })) if (e.isDirectory()) dirs.push(join(cgroupRoot, e.name));
  } catch {
    return;
  }
  for (const d of dirs) {
    try {
      rmdirSync(join(d, cgroupsPath));
    } catch {
      // not made in this hierarchy (ENOENT) or still busy: nothing more we can do safely
    }
  }
}

export async function tryRuntime(runtime: string, program: TrialProgram, timeoutMs = 20_000): Promise<RuntimeTrial> {
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'podsmith-doctor-'));
  const id = `podsmith-doctor-${randomBytes(4).toString('hex')}`;
  const cgroupsPath = `/${id}`;
  const state = join(dir, 'state');
  const bundle = join(dir, 'bundle');
  try {
    mkdirSync(join(bundle, 'rootfs', 'bin'), { recursive: true });
    mkdirSync(join(bundle, 'rootfs', 'proc'));
    mkdirSync(state);
    const inside = join(bundle, 'rootfs', 'bin', basename(program.binary));
    copyFileSync(program.binary, inside);
    chmodSync(inside, 0o755);
    // As pods get it: rootless without a delegated cgroup, no cgroupsPath (engine/rootless/bundle.ts).
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(adaptBundleForRootless(ociConfig(program, cgroupsPath) as RuntimeSpec)));
    const r = await runTool(runtime, ['--root', state, 'run', '--bundle', bundle, id], { timeoutMs });
    const ms = performance.now() - started;
    if (r.code === 0 && r.stdout.includes(program.expect)) return { ok: true, ms };
    const why = r.error ?? (lastLines(r.stderr, 2) || (r.code === 0 ? `unexpected output "${lastLines(r.stdout, 1)}"` : `exit code ${r.code}`));
    return { ok: false, ms, error: why };
  } finally {
    await runTool(runtime, ['--root', state, 'delete', '--force', id], { timeoutMs: 10_000 });
    removeCgroups(cgroupsPath);
    rmSync(dir, { recursive: true, force: true });
  }
}
