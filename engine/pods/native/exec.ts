// exec: a command in a running container through `runc exec`, streamed. Without a tty the command gets
// pipes (stdin only when asked); with a tty it runs on a pty from native/ (runc sees a terminal on its side
// and proxies it into the container), and resize goes to that pty. The exit code is the command's (128 +
// signal when a signal ended it), or 127/126 with a one-line message when runc could not start it. An exec
// with neither a terminal nor stdin is killed after 300 s (TIMEOUT); one a person may be typing into never is.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import type { ExecRequest, ExecSession } from '../runtime';
import { PodError, type ContainerState } from '../types';
import type { RuntimeContext } from './context';
import { execPidFile, killExecCommand, signalNumber } from './exec-command';
import { StartGate } from './exec-start';
import { TerminalNewlines } from './terminal-newlines';
import { PodPaths } from './paths';
import { readPod } from './state';
import { findPod } from './stop-pod';

function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return 128 + (signal ? (signalNumber(signal) ?? 0) : 0);
}

export async function execInPod(ctx: RuntimeContext, req: ExecRequest): Promise<ExecSession> {
  const uid = await findPod(ctx, req.pod);
  const record = await readPod(ctx.home, uid);
  if (!record) throw new PodError(`pod ${req.pod} not found`, 'NOT_FOUND');
  const c = req.container ? record.containers.find((x) => x.name === req.container) : record.containers.find((x) => x.kind === 'app');
  if (!c) throw new PodError(`pod ${record.name} has no container "${req.container}"`, 'NOT_FOUND', { container: req.container });
  if (record.lifecycle === 'creating') throw new PodError(`pod ${record.name} is still being created`, 'BUSY');
  if (!c.process || !c.state.running) throw new PodError(`container "${c.name}" of pod ${record.name} is not running (${stateText(c.state)})`, 'NOT_RUNNING', { container: c.name });
  if (req.command.length === 0) throw new PodError('exec needs a command', 'INVALID');
  // The pid file names the command inside the container, so kill() ends it and not only runc.
  const pidFile = execPidFile(new PodPaths(ctx.home, uid).dir);
  const [file, ...args] = ctx.oci(record).execArgv(c.process.id, req.command, { tty: req.tty, pidFile });
  const killer = (child: ChildProcess) => () => {
    // Not started yet: runc forwards SIGTERM to the command once it is.
    if (!killExecCommand(pidFile)) child.kill('SIGTERM');
  };
  const forget = () => rmSync(pidFile, { force: true });

  if (req.tty) {
    const native = await import('../../../native');
    const size = req.size ? { cols: req.size.columns, rows: req.size.rows } : { cols: 80, rows: 24 };
    const { child, terminal } = native.spawnInPty(file, args, { size, raw: true });
    // runc's own error would land on the terminal: the gate turns it into a message and an exit code.
    const stdout = new StartGate(pidFile, '\r\n');
    // runc clears ONLCR on the container's terminal only after the command may have written (a race inside
    // runc), so a line can arrive as \r\n or \n; our pty translates nothing and every line leaves as \r\n.
    terminal.pipe(new TerminalNewlines()).pipe(stdout);
    const exit = exitOf(child, stdout, pidFile).finally(forget);
    return {
      kill: killer(child),
      ...(req.stdin ? { stdin: terminal } : {}),
      stdout,
      resize: (s) => {
        try {
          terminal.resize({ cols: s.columns, rows: s.rows });
        } catch {
          // The terminal is already gone.
        }
      },
      exit,
    };
  }

  const child = spawn(file, args, { stdio: [req.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  // runc reports a command it cannot start on stderr: see StartGate.
  const stderr = new StartGate(pidFile);
  child.stderr!.pipe(stderr);
  // A command nobody is typing into (no terminal, no stdin) is ended after the exec time limit.
  const limitMs = req.stdin ? undefined : ctx.execTimeoutMs();
  let timedOut = false;
  const timer =
    limitMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          killExecCommand(pidFile);
          child.kill('SIGKILL');
        }, limitMs);
  const exit = exitOf(child, stderr, pidFile)
    .then((code) => {
      clearTimeout(timer);
      if (!timedOut) return code;
      throw new PodError(
        `exec in container "${c.name}" of pod ${record.name}: the command did not finish within ${limitMs! / 1000} s (the limit for an exec without a terminal or stdin) and was killed; 'podsmith exec -i' or '-t' runs without a limit`,
        'TIMEOUT',
        { container: c.name },
      );
    })
    .finally(forget);
  child.stdin?.on('error', () => undefined);
  return { ...(child.stdin ? { stdin: child.stdin } : {}), stdout: child.stdout!, stderr, resize: () => undefined, exit, kill: killer(child) };
}

/** The command's exit code, or the shell's 127/126 when runc could not start it (the gate says which). */
function exitOf(child: ChildProcess, gate: StartGate, pidFile: string): Promise<number> {
  return new Promise<number>((resolve) => {
    child.on('error', () => {
      gate.processClosed(false);
      resolve(126);
    });
    child.on('close', (code, signal) => {
      const started = existsSync(pidFile);
      gate.processClosed(started);
      if (started || code === 0) return resolve(exitCodeOf(code, signal));
      void gate.failure.then((f) => resolve(f ? f.exitCode : exitCodeOf(code, signal)));
    });
  });
}

/** A container state in a few words, for "not running" messages. */
function stateText(s: ContainerState): string {
  if (s.terminated) {
    const t = s.terminated;
    return `terminated: exit code ${t.exitCode}, ${t.reason}${t.finishedAt ? `, at ${t.finishedAt}` : ''}`;
  }
  if (s.waiting) return `waiting: ${s.waiting.reason}${s.waiting.message ? `, ${s.waiting.message}` : ''}`;
  return 'not started';
}
