// Runs a helper program (runc, mount, nsenter, ...) with an argument array and collects its output. Never a
// shell: every argument reaches the program as is.
import { spawn } from 'node:child_process';

export interface CommandResult {
  /** Exit code, or null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The timeout fired and the program was killed. */
  timedOut: boolean;
}

export interface CommandOptions {
  timeoutMs?: number;
  input?: string;
  env?: NodeJS.ProcessEnv;
  /** Largest output kept per stream; the rest is dropped (a runaway program must not fill memory). */
  maxOutput?: number;
}

const DEFAULT_MAX_OUTPUT = 1024 * 1024;

export function runCommand(file: string, args: readonly string[], opts: CommandOptions = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...args], {
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: opts.env ?? process.env,
    });
    const max = opts.maxOutput ?? DEFAULT_MAX_OUTPUT;
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout!.setEncoding('utf8').on('data', (s: string) => {
      if (stdout.length < max) stdout += s;
    });
    child.stderr!.setEncoding('utf8').on('data', (s: string) => {
      if (stderr.length < max) stderr += s;
    });
    const timer =
      opts.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, opts.timeoutMs);
    child.on('error', (err) => {
      if (timer) clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
  });
}

/** The `msg="..."` of runc's and crun's logrus-style error lines, else the trimmed text. */
export function runtimeMessage(stderr: string): string {
  const msgs: string[] = [];
  for (const line of stderr.split('\n')) {
    const m = /\blevel=(?:error|fatal)\s+msg="((?:[^"\\]|\\.)*)"/.exec(line);
    if (m) msgs.push(m[1].replace(/\\(.)/g, '$1'));
  }
  return (msgs.length > 0 ? msgs.join('; ') : stderr).trim();
}
