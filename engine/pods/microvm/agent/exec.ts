// exec in the guest, as native pods do it (engine/pods/native/exec.ts): `runc exec` with pipes, or on a pty
// (runc sees a terminal and proxies it into the container's own), with the same start gate that turns runc's
// "cannot start" line into 127/126. The streams are the channel's: stdin from the host, stdout and stderr to
// it under credit, so a host that reads slowly makes the command wait on its pipe and nothing else. The exit
// is reported after both output streams have sent their end, on the same ordered lane, so the host always
// has every byte before it learns the exit code. A host session that ends kills its commands.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { finished } from 'node:stream/promises';
import { execPidFile, killExecCommand, signalNumber } from '../../native/exec-command';
import { StartGate } from '../../native/exec-start';
import type { ExecStartParams } from '../protocol/messages';
import { RequestError, type Session } from './channel';
import type { GuestPod } from './pod';
import { oci } from './tools';

interface Running {
  resize(columns: number, rows: number): void;
  kill(): void;
}

const sessions = new Map<number, Running>();

function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return 128 + (signal ? (signalNumber(signal) ?? 0) : 0);
}

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

export async function startExec(pod: GuestPod | undefined, p: ExecStartParams, session: Session): Promise<void> {
  if (!pod) throw new RequestError('the pod is not running in this VM', 'NOT_RUNNING');
  if (!Number.isInteger(p.stream) || p.stream <= 0 || p.stream % 4 !== 0 || sessions.has(p.stream)) throw new RequestError(`bad exec stream ${p.stream}`, 'INVALID');
  if (!Array.isArray(p.command) || p.command.length === 0 || p.command.some((a) => typeof a !== 'string')) throw new RequestError('exec needs a command', 'INVALID');
  const inst = pod.instance(p.container);
  if (!inst) throw new RequestError(`container "${p.container}" is not running`, 'NOT_RUNNING', { container: p.container });
  const pidFile = execPidFile('/run');
  const [file, ...args] = oci.execArgv(inst.id, p.command, { tty: p.tty, pidFile });
  const stdin = p.stdin ? session.mux.incoming(p.stream) : undefined;
  const stdout = session.mux.outgoing(p.stream + 1);
  const stderr = p.tty ? undefined : session.mux.outgoing(p.stream + 2);
  let child: ChildProcess;
  let exit: Promise<number>;
  let resize: Running['resize'] = () => undefined;
  if (p.tty) {
    const native = await import('../../../../native');
    const size = { cols: p.columns ?? 80, rows: p.rows ?? 24 };
    const pty = native.spawnInPty(file, args, { size, raw: true });
    child = pty.child;
    const gate = new StartGate(pidFile, '\r\n');
    pty.terminal.pipe(gate).pipe(stdout);
    stdin?.pipe(pty.terminal);
    exit = exitOf(child, gate, pidFile);
    resize = (columns, rows) => {
      try {
        pty.terminal.resize({ cols: columns, rows });
      } catch {
        // The terminal is already gone.
      }
    };
  } else {
    child = spawn(file, args, { stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    const gate = new StartGate(pidFile);
    child.stdout!.pipe(stdout);
    child.stderr!.pipe(gate).pipe(stderr!);
    child.stdin?.on('error', () => undefined);
    if (stdin && child.stdin) stdin.pipe(child.stdin);
    exit = exitOf(child, gate, pidFile);
  }
  stdin?.on('error', () => undefined);
  const kill = () => {
    if (!killExecCommand(pidFile)) child.kill('SIGTERM');
  };
  sessions.set(p.stream, { resize, kill });
  const offClose = session.onClose(kill);
  void (async () => {
    const code = await exit;
    // Every byte first: the output streams end (their Eof queued) before the exit goes out behind them.
    await Promise.all([finished(stdout).catch(() => undefined), stderr ? finished(stderr).catch(() => undefined) : undefined]);
    rmSync(pidFile, { force: true });
    sessions.delete(p.stream);
    offClose();
    session.event({ event: 'exec.exit', stream: p.stream, exitCode: code }, true);
  })();
}

export function resizeExec(stream: number, columns: number, rows: number): void {
  sessions.get(stream)?.resize(columns, rows);
}

export function killExec(stream: number): void {
  sessions.get(stream)?.kill();
}
