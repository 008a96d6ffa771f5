// Runs the small system tools the network and doctor code relies on (ip, nsenter, pasta, runc --version)
// with argument arrays, a timeout and captured output, and finds them on PATH. Root's PATH does not always
// include the sbin directories (ip, runc live there), so those are searched too.
import { spawn } from 'node:child_process';
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface ToolResult {
  /** Exit code, or null when the tool was killed by a signal or could not start. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Set when the tool could not be started (ENOENT, EACCES) or timed out. */
  error?: string;
  ms: number;
}

export interface RunToolOptions {
  timeoutMs?: number;
  /** Written to stdin, which is then closed. */
  input?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Extra fds the child inherits as fd 3, 4, ... */
  extraFds?: number[];
}

const OUTPUT_CAP = 1 << 20; // tools here print little; a runaway one must not fill memory

/** Runs `file args...`; never throws (a failure to start is reported in `error`). */
export function runTool(file: string, args: string[], opts: RunToolOptions = {}): Promise<ToolResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let error: string | undefined;
    let settled = false;
    const child = spawn(file, args, {
      stdio: ['pipe', 'pipe', 'pipe', ...(opts.extraFds ?? [])],
      env: opts.env,
      cwd: opts.cwd,
    });
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ...(error ? { error } : {}), ms: performance.now() - started });
    };
    const timer = setTimeout(() => {
      error = `timed out after ${opts.timeoutMs} ms`;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 30_000);
    child.stdout!.setEncoding('utf8').on('data', (s: string) => {
      if (stdout.length < OUTPUT_CAP) stdout += s;
    });
    child.stderr!.setEncoding('utf8').on('data', (s: string) => {
      if (stderr.length < OUTPUT_CAP) stderr += s;
    });
    child.on('error', (e) => {
      error = e.message;
      finish(null, null);
    });
    child.on('close', (code, signal) => finish(code, signal));
    // A tool that exits without reading stdin makes the write fail with EPIPE; that is not our error.
    child.stdin!.on('error', () => {});
    child.stdin!.end(opts.input ?? '');
  });
}

/** One line saying why a tool run failed, for error messages. */
export function describeFailure(what: string, r: ToolResult): string {
  if (r.error) return `${what}: ${r.error}`;
  const text = lastLines(r.stderr || r.stdout, 3);
  const how = r.signal ? `killed by ${r.signal}` : `exit code ${r.code}`;
  return `${what} failed (${how})${text ? `: ${text}` : ''}`;
}

/** The last non-empty lines of `s`, joined with "; ". */
export function lastLines(s: string, n: number): string {
  return s
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-n)
    .join('; ');
}

const SBIN_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

/** The absolute path of executable `name` on PATH (plus the sbin dirs), or undefined. */
export function findExecutable(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (name.includes('/')) return isExecutable(name) ? name : undefined;
  const dirs = [...(env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter).filter(Boolean), ...SBIN_DIRS];
  for (const dir of dirs) {
    const p = join(dir, name);
    if (isExecutable(p)) return p;
  }
  return undefined;
}

function isExecutable(p: string): boolean {
  try {
    if (!statSync(p).isFile()) return false;
    accessSync(p, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Like findExecutable but throws an error that names the Debian package to install. */
export function requireExecutable(name: string, aptPackage: string): string {
  const p = findExecutable(name);
  if (!p) throw new Error(`${name} not found: install it with \`apt-get install -y ${aptPackage}\``);
  return p;
}
