// Starting a pod's supervisor: a child Node process, detached into its own session with its output in the
// pod's supervisor.log, so it outlives the daemon (native pods outlive it under conmon). From the sources it
// runs supervisor-main.ts through tsx's CommonJS hook (`--require tsx/cjs`: the project is CommonJS, and the
// ESM loader of `--import tsx` costs several hundred milliseconds more per start); from the bundle it is
// `dist/wasm-supervisor.js` when the build makes that small bundle of supervisor-main.ts (it starts in about
// 80 ms where the whole CLI bundle takes 150), else the CLI's hidden `__wasm-supervisor` command. Arguments
// are an array: no shell is involved. The supervisor's own arguments are the pod directory, or a spare's
// `--spare <log> <threads>` (spare.ts).
import { spawn, type ChildProcess } from 'node:child_process';
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

/** How to run the supervisor with `args` (its own arguments: the pod directory, or a spare's). */
export function supervisorCommand(args: string[]): SupervisorCommand {
  if (__filename.endsWith('.ts')) {
    const repo = join(__dirname, '..', '..', '..');
    return { command: process.execPath, args: ['--require', 'tsx/cjs', join(__dirname, 'supervisor-main.ts'), ...args], cwd: repo };
  }
  const own = join(__dirname, 'wasm-supervisor.js');
  if (existsSync(own)) return { command: process.execPath, args: [own, ...args], cwd: '/' };
  return { command: process.execPath, args: [join(__dirname, 'podsmith.js'), '__wasm-supervisor', ...args], cwd: '/' };
}

export type SupervisorCommandOf = (args: string[]) => SupervisorCommand;

/** Detached (own session), output appended to `log`; stdin a pipe when `pipe` (a spare's assignment). */
export function spawnDetached(args: string[], log: string, command: SupervisorCommandOf, pipe: boolean): ChildProcess {
  const cmd = command(args);
  const out = openSync(log, 'a', 0o600);
  const env = { ...process.env };
  // A supervisor started by a test run must not think it is a test file itself.
  delete env.NODE_TEST_CONTEXT;
  try {
    return spawn(cmd.command, cmd.args, { detached: true, stdio: [pipe ? 'pipe' : 'ignore', out, out], cwd: cmd.cwd, env });
  } finally {
    closeSync(out);
  }
}

/** The pid and start time of a child once it exists. */
export function spawned(child: ChildProcess): Promise<SupervisorRef> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('spawn', () => {
      child.unref();
      const pid = child.pid!;
      const stat = procStat(pid);
      resolve({ pid, ...(stat ? { startTime: stat.startTime } : {}) });
    });
  });
}

/** Spawns the supervisor of a pod; resolves once the process exists (its pid and start time are known). */
export function spawnSupervisor(paths: WasmPodPaths, command: SupervisorCommandOf = supervisorCommand): Promise<SupervisorRef> {
  return spawned(spawnDetached([paths.dir], paths.supervisorLog, command, false));
}
