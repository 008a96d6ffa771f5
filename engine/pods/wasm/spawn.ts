// Starting a pod's supervisor: a child Node process, detached into its own session with its output in the
// pod's supervisor.log, so it outlives the daemon (native pods outlive it under conmon). From the sources it
// runs supervisor-main.ts through tsx's CommonJS hook (`--require tsx/cjs`: the project is CommonJS, and the
// ESM loader of `--import tsx` costs several hundred milliseconds more per start); from the bundle it is
// `dist/wasm-supervisor.js` when the build makes that small bundle of supervisor-main.ts (it starts in about
// 80 ms where the whole CLI bundle takes 150), else the CLI's hidden `__wasm-supervisor` command. Arguments
// are an array: no shell is involved.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { procStat } from '../../runtime/processes';
import type { WasmPodPaths } from './paths';
import type { SupervisorRef } from './records';

export interface SupervisorCommand {
  command: string;
  args: string[];
  cwd: string;
}

export function supervisorCommand(podDir: string): SupervisorCommand {
  if (__filename.endsWith('.ts')) {
    const repo = join(__dirname, '..', '..', '..');
    return { command: process.execPath, args: ['--require', 'tsx/cjs', join(__dirname, 'supervisor-main.ts'), podDir], cwd: repo };
  }
  const own = join(__dirname, 'wasm-supervisor.js');
  if (existsSync(own)) return { command: process.execPath, args: [own, podDir], cwd: '/' };
  return { command: process.execPath, args: [join(__dirname, 'podsmith.js'), '__wasm-supervisor', podDir], cwd: '/' };
}

/** Spawns the supervisor; resolves once the process exists (its pid and start time are known). */
export function spawnSupervisor(paths: WasmPodPaths, command: (podDir: string) => SupervisorCommand = supervisorCommand): Promise<SupervisorRef> {
  const cmd = command(paths.dir);
  const out = openSync(paths.supervisorLog, 'a', 0o600);
  const env = { ...process.env };
  // A supervisor started by a test run must not think it is a test file itself.
  delete env.NODE_TEST_CONTEXT;
  try {
    const child = spawn(cmd.command, cmd.args, { detached: true, stdio: ['ignore', out, out], cwd: cmd.cwd, env });
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('spawn', () => {
        child.unref();
        const pid = child.pid!;
        const stat = procStat(pid);
        resolve({ pid, ...(stat ? { startTime: stat.startTime } : {}) });
      });
    });
  } finally {
    closeSync(out);
  }
}
