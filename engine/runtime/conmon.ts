// Containers under conmon, the monitor CRI-O and podman use. conmon stays the parent of the container (so
// the exit code is kept even when no daemon runs), writes the exit code to `<exit-dir>/<id>`, writes the
// CRI log file, and daemonizes once `runc create` is done. It reports over the sync pipe (fd 3,
// `_OCI_SYNCPIPE`, API version 1): `{"data": <container pid>}` on success, `{"data": -1, "message": ...}` with
// the runtime's error text on failure.
import { spawn } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { RuntimeError } from './errors';
import { CONMON_DIRS, findExecutable } from './executables';
import type { OciRuntime } from './oci-runtime';
import { procStat } from './processes';
import { runtimeMessage } from './run-command';

export function findConmon(): string {
  const path = findExecutable('conmon', CONMON_DIRS);
  if (!path) throw new RuntimeError('conmon is not installed (apt-get install conmon): it supervises every container', 'NOT_INSTALLED');
  return path;
}

export interface ConmonCreateOptions {
  conmon: string;
  runtime: OciRuntime;
  /** OCI container id; also the exit file's name. */
  id: string;
  /** Short id for conmon's attach socket directory (socket paths are limited to 108 bytes). */
  socketId: string;
  /** Shown in conmon's messages. */
  name: string;
  bundle: string;
  exitDir: string;
  /** conmon keeps `exit` and `oom` files here. */
  persistDir: string;
  socketDir: string;
  pidFile: string;
  conmonPidFile: string;
  /** conmon's log arguments (`-l k8s-file:PATH`, size limit); see engine/logs conmonLogArgs. */
  logArgs: string[];
  stdin?: boolean;
  tty?: boolean;
  timeoutMs?: number;
}

export interface ConmonCreated {
  /** The container's init process. */
  pid: number;
  /** Its start time (field 22 of /proc/PID/stat): tells it from a process that reuses the pid later. */
  startTime?: string;
  conmonPid: number;
  /** Start time of conmon (pid reuse guard). */
  conmonStartTime?: string;
}

interface SyncMessage {
  data: number;
  message?: string;
}

/** Creates the container (`runtime create` run by conmon); the caller then calls `runtime.start(id)`. */
export async function createUnderConmon(o: ConmonCreateOptions): Promise<ConmonCreated> {
  // conmon fails without a word (its stderr is gone once it daemonizes) when one of these is missing.
  await Promise.all([o.exitDir, o.persistDir, o.socketDir].map((d) => mkdir(d, { recursive: true, mode: 0o700 })));
  const args = [
    '--api-version', '1',
    '-c', o.id,
    '-u', o.socketId,
    '-n', o.name,
    '-r', o.runtime.info.path,
    '-b', o.bundle,
    '-p', o.pidFile,
    '-P', o.conmonPidFile,
    ...o.logArgs,
    '--exit-dir', o.exitDir,
    '--socket-dir-path', o.socketDir,
    '-0', o.persistDir,
    // A global sync() per container exit costs tens of ms on busy disks; logs are flushed by write(2) anyway.
    '--no-sync-log',
  ];
  for (const a of o.runtime.globalArgs()) args.push('--runtime-arg', a);
  if (o.stdin) args.push('-i');
  if (o.tty) args.push('-t');

  const child = spawn(o.conmon, args, {
    // fd 3 is the sync pipe; detached: conmon must not share our process group (a Ctrl-C to the daemon's
    // terminal would otherwise reach every pod).
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    env: { ...process.env, _OCI_SYNCPIPE: '3' },
    // conmon also writes an `oom` file into its working directory when the container is OOM-killed.
    cwd: o.persistDir,
    detached: true,
  });
  const sync = child.stdio[3] as NodeJS.ReadableStream & { destroy(): void };
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));

  const message = await new Promise<SyncMessage>((resolve, reject) => {
    let buffer = '';
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // The daemonized conmon keeps the pipe open for exec sessions; we are done with it.
      sync.destroy();
      fn();
    };
    const timeoutMs = o.timeoutMs ?? 60_000;
    const timer = setTimeout(
      () =>
        finish(() => {
          // A hung `runtime create`: end conmon and the runtime it runs (conmon leads their process group), or
          // they would wait forever with nobody to collect them.
          void readFile(o.conmonPidFile, 'utf8')
            .then((text) => killGroup(Number(text.trim())))
            .catch(() => undefined)
            .finally(() => killGroup(child.pid));
          reject(new RuntimeError(`${o.runtime.name} create of container ${o.name} did not finish within ${timeoutMs / 1000} s`, 'TIMEOUT'));
        }),
      timeoutMs,
    );
    sync.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      // The message text may itself hold braces: try each closing brace until the JSON is whole.
      for (let end = buffer.indexOf('}'); end >= 0; end = buffer.indexOf('}', end + 1)) {
        try {
          const parsed = JSON.parse(buffer.slice(0, end + 1)) as SyncMessage;
          return finish(() => resolve(parsed));
        } catch {
          // Not complete yet.
        }
      }
    });
    sync.on('error', () => undefined);
    sync.on('end', () =>
      finish(() => reject(new RuntimeError(`conmon exited before creating container ${o.name}: ${stderr.trim() || 'no message (see the system log)'}`, 'FAILED', stderr.trim()))),
    );
    child.on('error', (err) => finish(() => reject(new RuntimeError(`cannot start conmon: ${err.message}`, 'FAILED'))));
  });
  child.unref();

  if (message.data < 0) {
    const detail = runtimeMessage(message.message ?? '') || 'the runtime gave no reason';
    throw new RuntimeError(`${o.runtime.name} create failed for container ${o.name}: ${detail}`, 'FAILED', detail);
  }
  const conmonPid = Number((await readFile(o.conmonPidFile, 'utf8')).trim());
  return { pid: message.data, startTime: procStat(message.data)?.startTime, conmonPid, conmonStartTime: procStat(conmonPid)?.startTime };
}

function killGroup(pid: number | undefined): void {
  if (!pid || pid <= 0) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // gone, or not a group leader: the process alone
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}
