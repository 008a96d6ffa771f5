// Container logs: CRI log files written by conmon, rotated by size, read with tail/since/follow.
// The runtime names each instance's log with `instanceLogPath`, gives conmon `conmonLogArgs`, runs
// `startLogRotation(path, conmonReopenChannel(bundle))` while the instance lives (stop() once conmon exited), and
// serves `PodRuntime.logs()` with `openContainerLogs`.
import type { Readable } from 'node:stream';
import { DEFAULT_FOLLOW_POLL_MS, followLog, type FollowOptions } from './follow';
import type { LogEntry } from './line-joiner';
import { closeAll, openLogChain, type OpenLogFile } from './log-files';
import { logReadable, type LogOutput } from './log-stream';
import { currentLogPath, listInstances, instanceLogPath, previousLogPath } from './previous';
import { decodeContext, readSnapshot, type LogFilter } from './reader';
import { newStats, pushFiltered, type LogReadStats } from './record-reader';

export type { LogStreamName } from './cri-format';
export type { LogEntry } from './line-joiner';
export type { LogOutput } from './log-stream';
export type { LogReadStats } from './record-reader';
export type { LogFilter } from './reader';
export type { RotationPolicy } from './rotate';
export { conmonLogArgs, conmonReopenChannel, DEFAULT_ROTATION, LogRotator, startLogRotation } from './rotate';
export type { OpenReopenChannel, ReopenChannel } from './rotate';
export { currentLogPath, instanceLogPath, listInstances, previousLogPath, pruneInstances } from './previous';
export { renderText } from './log-stream';

export interface LogReadOptions extends LogFilter {
  /** Keep reading as the log grows, across rotations (and restarts, see `currentPath`), until aborted. */
  follow?: boolean;
  /** `text` (default): printable bytes; `entries`: LogEntry objects. See LogOutput. */
  output?: LogOutput;
  /** Text output only: prefix each line with its RFC3339Nano timestamp. */
  timestamps?: boolean;
  /** Follow only: the live path of the container's current instance (default: the path given). */
  currentPath?: FollowOptions['currentPath'];
  /** Follow only: true once the container will write nothing more; the stream then ends. */
  isDone?: FollowOptions['isDone'];
  /** Follow only: longest wait between two looks at the files (fs.watch usually wakes it first). */
  pollMs?: number;
  /** Filled in as reading goes (malformed records skipped, truncations seen). */
  stats?: LogReadStats;
}

/** Reads the log chain of one instance (`path` is its live file, which need not exist yet). */
export async function openLog(path: string, options: LogReadOptions = {}, signal?: AbortSignal): Promise<Readable> {
  const controller = new AbortController();
  const source = logEntries(path, options, controller.signal);
  return logReadable(source, options.output ?? 'text', options.timestamps ?? false, controller, signal);
}

async function* logEntries(path: string, options: LogReadOptions, signal: AbortSignal): AsyncGenerator<LogEntry[]> {
  const ctx = decodeContext(options, options.stats ?? newStats());
  const files = openLogChain(path);
  const newest = files[files.length - 1];
  // Each descriptor is closed exactly once: raw fd numbers are reused at once (see fd-io.ts).
  const older = files.filter((f) => f !== newest);
  let own: OpenLogFile | undefined = newest;
  try {
    const position = yield* readSnapshot(files, ctx, options.tail, signal);
    if (signal.aborted) return;
    await closeAll(older.splice(0)); // read; the follower takes over the newest
    if (!options.follow) {
      const rest: LogEntry[] = [];
      for (const e of ctx.joiner.flush()) pushFiltered(e, ctx, rest);
      if (rest.length) yield rest;
      return;
    }
    own = undefined;
    yield* followLog(
      path,
      position,
      ctx,
      {
        currentPath: options.currentPath ?? (() => path),
        isDone: options.isDone,
        pollMs: options.pollMs ?? DEFAULT_FOLLOW_POLL_MS,
      },
      signal,
    );
  } finally {
    await closeAll(own ? [...older, own] : older);
  }
}

export interface ContainerLogOptions extends Omit<LogReadOptions, 'currentPath'> {
  /** The instance before the newest one (`logs --previous`); never followed. */
  previous?: boolean;
  /** A specific instance instead (wins over `previous`). */
  restartCount?: number;
  /** Follow only: the live path of the current instance (default: the newest `<n>.log` in the directory). */
  currentPath?: () => string | Promise<string>;
}

/** Why logs cannot be read (the message is for the user). */
export class LogsUnavailableError extends Error {
  override readonly name = 'LogsUnavailableError';
}

/**
 * The log of a container (all instances live in `containerLogDir`, see previous.ts). Without `previous` or
 * `restartCount` it reads the newest instance and, following, moves on to newer instances as the container
 * restarts. Rejects with LogsUnavailableError when `previous` is asked and there is no earlier instance.
 */
export async function openContainerLogs(
  containerLogDir: string,
  options: ContainerLogOptions = {},
  signal?: AbortSignal,
): Promise<Readable> {
  if (options.restartCount !== undefined || options.previous) {
    let path: string | undefined;
    if (options.restartCount !== undefined) {
      path = instanceLogPath(containerLogDir, options.restartCount);
      if (!(await listInstances(containerLogDir)).includes(options.restartCount)) {
        throw new LogsUnavailableError(`no log for instance ${options.restartCount} of this container`);
      }
    } else {
      path = await previousLogPath(containerLogDir);
      if (!path) throw new LogsUnavailableError('the container has no previous terminated instance');
    }
    return openLog(path, { ...options, follow: false, currentPath: undefined }, signal);
  }
  const newest = () => currentLogPath(containerLogDir).then((p) => p ?? instanceLogPath(containerLogDir, 0));
  const path = await newest();
  return openLog(path, { ...options, currentPath: options.currentPath ?? newest }, signal);
}

