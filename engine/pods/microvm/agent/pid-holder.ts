// The pod's shared PID namespace (shareProcessNamespace), as the native runtime's pause provides it: a
// `catatonit -P` started as PID 1 of a new PID namespace (busybox unshare --fork makes it), which every
// container of the pod joins through /proc/<holder>/ns/pid. Its processes then see and may signal each
// other's, and orphans are reaped by catatonit. The agent itself stays in the guest's root namespace,
// which no container sees. Killing the holder (the pod is over) kills whatever is left in the namespace.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { BUSYBOX } from './tools';

/** From the tools image (guest/tools-image.ts copies the host's). */
export const CATATONIT = '/usr/bin/catatonit';
const START_TIMEOUT_MS = 10_000;

function childOf(pid: number): number | undefined {
  try {
    const n = Number(readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0]);
    return n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

function runs(pid: number, exe: string): boolean {
  try {
    return readlinkSync(`/proc/${pid}/exe`) === exe;
  } catch {
    return false;
  }
}

export class PidNamespaceHolder {
  private constructor(
    private readonly unshare: ChildProcess,
    /** The holder's pid in the guest's root namespace. */
    readonly pid: number,
  ) {}

  /** The path a container's config joins. */
  get namespacePath(): string {
    return `/proc/${this.pid}/ns/pid`;
  }

  /** Starts the holder; resolves once catatonit runs as PID 1 of its namespace. */
  static async start(): Promise<PidNamespaceHolder> {
    if (!existsSync(CATATONIT)) throw new Error(`shareProcessNamespace needs catatonit in the guest's tools (${CATATONIT}); install catatonit on the host (apt-get install catatonit), whose copy the guest gets`);
    const child = spawn(BUSYBOX, ['unshare', '--pid', '--fork', CATATONIT, '-P'], { stdio: 'ignore' });
    let ended: string | undefined;
    child.on('error', (e) => (ended = e.message));
    child.on('exit', (code, signal) => (ended ??= `it exited (${code ?? signal})`));
    // /usr is a link into the tools image: /proc/<pid>/exe names the real file.
    const exe = realpathSync(CATATONIT);
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
      const pid = child.pid !== undefined ? childOf(child.pid) : undefined;
      // Until it has exec'd, the forked child is still busybox.
      if (pid !== undefined && runs(pid, exe)) return new PidNamespaceHolder(child, pid);
      if (ended !== undefined || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`cannot start the pod's process namespace holder: ${ended ?? 'it did not start within 10 s'}`);
      }
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  /** Kills the holder, and with it everything left in the namespace; busybox unshare then exits. */
  stop(): void {
    if (this.unshare.exitCode !== null || this.unshare.signalCode !== null) return;
    try {
      process.kill(this.pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
}
