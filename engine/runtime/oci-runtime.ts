// One OCI runtime binary (runc, crun, youki) bound to a state directory (`--root`). The three share the
// runc command line for everything used here: state, start, kill, delete, list, exec, update.
import { readdir } from 'node:fs/promises';
import { RuntimeError } from './errors';
import { runCommand, runtimeMessage } from './run-command';

export type OciRuntimeName = 'runc' | 'crun' | 'youki';

export interface OciRuntimeInfo {
  name: string;
  path: string;
  /** First line of `--version`. */
  version: string;
}

/** What `state` prints (runtime-spec state plus runc's extras). */
export interface OciState {
  id: string;
  pid: number;
  status: 'creating' | 'created' | 'running' | 'stopped' | 'paused';
  bundle: string;
}

const TIMEOUT_MS = 30_000;

export interface ExecArgsOptions {
  tty?: boolean;
  /** Extra environment (NAME=value) on top of the container's. */
  env?: string[];
  cwd?: string;
  /** uid[:gid] */
  user?: string;
  detach?: boolean;
  consoleSocket?: string;
  pidFile?: string;
}

export class OciRuntime {
  constructor(
    readonly info: OciRuntimeInfo,
    /** The runtime's state directory, private to one PODSMITH_HOME. */
    readonly root: string,
  ) {}

  get name(): string {
    return this.info.name;
  }

  /** Arguments that put the runtime on our state directory; they go before the subcommand. */
  globalArgs(): string[] {
    return ['--root', this.root];
  }

  private async run(args: string[], what: string, timeoutMs = TIMEOUT_MS): Promise<string> {
    const r = await runCommand(this.info.path, [...this.globalArgs(), ...args], { timeoutMs });
    if (r.timedOut) throw new RuntimeError(`${this.name} ${what} did not finish within ${timeoutMs / 1000} s`, 'TIMEOUT');
    if (r.code !== 0) {
      const detail = runtimeMessage(r.stderr) || `exit code ${r.code}`;
      const code = /does not exist|not exist|no such container/i.test(detail) ? 'NOT_FOUND' : 'FAILED';
      throw new RuntimeError(`${this.name} ${what}: ${detail}`, code, detail);
    }
    return r.stdout;
  }

  /** The container's state, or undefined when the runtime does not know it. */
  async state(id: string): Promise<OciState | undefined> {
    try {
      return JSON.parse(await this.run(['state', id], `state ${id}`)) as OciState;
    } catch (err) {
      if (err instanceof RuntimeError && err.code === 'NOT_FOUND') return undefined;
      throw err;
    }
  }

  async start(id: string, timeoutMs = TIMEOUT_MS): Promise<void> {
    await this.run(['start', id], `start ${id}`, timeoutMs);
  }

  /** Sends `signal` to the container's init process (`all`: to every process in it). */
  async kill(id: string, signal: string, all = false): Promise<void> {
    await this.run(['kill', ...(all ? ['--all'] : []), id, signal], `kill ${id} ${signal}`);
  }

  /** Deletes the container; `force` kills it first if it still runs. Unknown ids are not an error. */
  async delete(id: string, force = false): Promise<void> {
    try {
      await this.run(['delete', ...(force ? ['--force'] : []), id], `delete ${id}`);
    } catch (err) {
      if (err instanceof RuntimeError && err.code === 'NOT_FOUND') return;
      throw err;
    }
  }

  /**
   * Ids of every container in the state directory (one folder per container for runc, crun and youki).
   * Teardown and orphan sweeps use this, not `list`: runc 1.1's `list` fails as a whole when a container
   * folder disappears while it reads them (another container being deleted at that moment), which once left
   * a pod's containers behind. Reading the folder also saves a runtime process.
   */
  async ids(): Promise<string[]> {
    try {
      return (await readdir(this.root, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  async list(): Promise<OciState[]> {
    const out = await this.run(['list', '--format', 'json'], 'list');
    const parsed = JSON.parse(out.trim() || '[]') as OciState[] | null;
    return parsed ?? [];
  }

  /** Full argv (program first) for `exec`; the caller spawns it to own the streams. */
  execArgv(id: string, command: readonly string[], o: ExecArgsOptions = {}): string[] {
    const args = [this.info.path, ...this.globalArgs(), 'exec'];
    if (o.tty) args.push('--tty');
    if (o.detach) args.push('--detach');
    if (o.consoleSocket) args.push('--console-socket', o.consoleSocket);
    if (o.pidFile) args.push('--pid-file', o.pidFile);
    if (o.cwd) args.push('--cwd', o.cwd);
    if (o.user) args.push('--user', o.user);
    for (const e of o.env ?? []) args.push('--env', e);
    args.push(id, ...command);
    return args;
  }
}
