// A real container for the log tests: a busybox-static rootfs in an OCI bundle, run by runc under conmon
// (which writes the CRI log). Everything lives in one temp directory with its own runc state root, and
// `cleanup` removes the container, conmon and the directory.
import { adaptBundleForRootless } from '../../../engine/rootless/bundle';
import type { RuntimeSpec } from '../../../engine/image/bundle/oci-spec';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdirSync, readFileSync, symlinkSync, copyFileSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

export const BUSYBOX = '/usr/bin/busybox';
const execFileP = promisify(execFile);

/** Why the real-container test cannot run here, or undefined when it can. */
export function conmonUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root';
  for (const bin of ['conmon', 'runc']) {
    if (spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0) return `${bin} is not installed`;
  }
  if (!existsSync(BUSYBOX)) return 'busybox-static is not installed';
  return undefined;
}

export interface Container {
  id: string;
  dir: string;
  /** The OCI bundle; conmon's control FIFO `ctl` is in it. */
  bundle: string;
  conmonPid(): number | undefined;
  /** True once conmon has exited (it drains the container's output before it exits). */
  finished(): boolean;
  exitCode(): number | undefined;
  /** Starts the created container (async: the follower under test keeps running meanwhile). */
  start(): Promise<void>;
  cleanup(): void;
}

const runcPath = () => execFileSync('sh', ['-c', 'command -v runc'], { encoding: 'utf8' }).trim();
const conmonPath = () => execFileSync('sh', ['-c', 'command -v conmon'], { encoding: 'utf8' }).trim();

/** Creates (but does not start) a container running `sh -c script`, logging with `logArgs` (conmonLogArgs). */
export function createContainer(dir: string, script: string, logArgs: string[]): Container {
  const id = `podsmith-logtest-${process.pid}-${randomBytes(4).toString('hex')}`;
  const bundle = join(dir, 'bundle');
  const rootfs = join(bundle, 'rootfs');
  for (const d of ['bin', 'proc', 'dev', 'tmp']) mkdirSync(join(rootfs, d), { recursive: true });
  copyFileSync(BUSYBOX, join(rootfs, 'bin', 'busybox'));
  symlinkSync('busybox', join(rootfs, 'bin', 'sh'));
  const config = {
    ociVersion: '1.0.2',
    process: { terminal: false, user: { uid: 0, gid: 0 }, args: ['/bin/sh', '-c', script], env: ['PATH=/bin'], cwd: '/' },
    root: { path: 'rootfs', readonly: true },
    hostname: 'logtest',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'mode=755', 'size=65536k'] },
    ],
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'ipc' }, { type: 'uts' }, { type: 'network' }],
      cgroupsPath: `/${id}`,
    },
  };
  // As the engine writes bundles: rootless without a delegated cgroup, no cgroupsPath (engine/rootless/bundle.ts).
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(adaptBundleForRootless(config as unknown as RuntimeSpec)));
  const runRoot = join(dir, 'runc');
  const exitDir = join(dir, 'exit');
  const sockDir = join(dir, 'sock');
  for (const d of [runRoot, exitDir, sockDir]) mkdirSync(d, { recursive: true });
  const runc = runcPath();
  const conmonPidFile = join(dir, 'conmon.pid');

  // conmon runs `runc create` and daemonizes; it stays the container's parent and writes the exit code.
  const r = spawnSync(
    conmonPath(),
    [
      '--api-version', '1', '-c', id, '-u', id, '-n', id, '-r', runc,
      '--runtime-arg', '--root', '--runtime-arg', runRoot,
      '-b', bundle, '-p', join(dir, 'ctr.pid'), '-P', conmonPidFile,
      ...logArgs,
      '--exit-dir', exitDir, '--socket-dir-path', sockDir,
    ],
    { encoding: 'utf8', timeout: 30_000 },
  );
  if (r.status !== 0) throw new Error(`conmon failed (${r.status}): ${r.stderr}`);

  const conmonPid = (): number | undefined => {
    try {
      return Number(readFileSync(conmonPidFile, 'utf8').trim()) || undefined;
    } catch {
      return undefined;
    }
  };
  const alive = (pid: number | undefined): boolean => {
    if (!pid) return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const state = async (): Promise<string | undefined> => {
    try {
      const { stdout } = await execFileP(runc, ['--root', runRoot, 'state', id], { encoding: 'utf8' });
      return (JSON.parse(stdout) as { status: string }).status;
    } catch {
      return undefined;
    }
  };

  return {
    id,
    dir,
    bundle,
    conmonPid,
    finished: () => readdirSync(exitDir).length > 0 && !alive(conmonPid()),
    exitCode: () => {
      const f = join(exitDir, id);
      return existsSync(f) ? Number(readFileSync(f, 'utf8').trim()) : undefined;
    },
    start: async () => {
      // conmon returns before runc create has finished: wait for the created state.
      const deadline = Date.now() + 20_000;
      while ((await state()) !== 'created') {
        if (Date.now() > deadline) throw new Error(`container ${id} never reached "created" (state ${await state()})`);
        await new Promise((r) => setTimeout(r, 20));
      }
      await execFileP(runc, ['--root', runRoot, 'start', id]);
    },
    cleanup: () => {
      spawnSync(runc, ['--root', runRoot, 'delete', '-f', id], { encoding: 'utf8' });
      const pid = conmonPid();
      if (alive(pid)) {
        try {
          process.kill(pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    },
  };
}
