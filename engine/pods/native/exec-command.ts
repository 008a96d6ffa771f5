// A command run to completion inside a container (exec probes and hooks): `runc exec` with a pid file, so a
// timeout kills the command itself and not only runc (which would leave it running in the container).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { constants } from 'node:os';
import { join } from 'node:path';
import { signalProcess, type OciRuntime } from '../../runtime';
import { startFailure } from './exec-start';

export interface ExecOutcome {
  exitCode: number;
  output: string;
  timedOut: boolean;
}

const MAX_OUTPUT = 10 * 1024;

/** A fresh pid file for `runc exec --pid-file`: it names the command inside the container. */
export function execPidFile(dir: string): string {
  return join(dir, `exec-${randomBytes(6).toString('hex')}.pid`);
}

/** SIGKILLs the command a runc exec pid file names (not only runc); false while runc has not written it. */
export function killExecCommand(pidFile: string): boolean {
  let pid = 0;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
  } catch {
    // not written yet
  }
  if (!(pid > 0)) return false;
  signalProcess(pid, 'SIGKILL');
  return true;
}

export function execToCompletion(runtime: OciRuntime, id: string, command: string[], o: { timeoutMs: number; scratchDir: string }): Promise<ExecOutcome> {
  const pidFile = execPidFile(o.scratchDir);
  const [file, ...args] = runtime.execArgv(id, command, { pidFile });
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let timedOut = false;
    const keep = (b: Buffer) => {
      if (output.length < MAX_OUTPUT) output += b.toString('utf8');
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => {
      timedOut = true;
      killExecCommand(pidFile);
      child.kill('SIGKILL');
    }, o.timeoutMs);
    const finish = (exitCode: number) => {
      clearTimeout(timer);
      // No pid file: runc never started the command, and the output is its own error line (see exec-start.ts).
      const failure = exitCode !== 0 && !timedOut && !existsSync(pidFile) ? startFailure(output) : undefined;
      void rm(pidFile, { force: true });
      if (failure) resolve({ exitCode: failure.exitCode, output: failure.message, timedOut });
      else resolve({ exitCode, output: output.slice(0, MAX_OUTPUT), timedOut });
    };
    child.on('error', (err) => {
      output += err.message;
      finish(-1);
    });
    child.on('close', (code, signal) => finish(code ?? (signal ? 128 + (signalNumber(signal) ?? 9) : -1)));
  });
}

export function signalNumber(signal: string): number | undefined {
  return constants.signals[signal as NodeJS.Signals];
}
