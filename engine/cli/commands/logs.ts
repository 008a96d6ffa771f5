// `podsmith logs POD [-c C] [-f] [--tail N] [--since D] [--timestamps] [--previous]`
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { UsageError } from '../files';
import { parseDuration } from '../format/duration';
import type { Io } from '../io';
import { interruptSignal, outputStream, runPodCommand, type PodCommandDeps } from './daemon-command';

export const LOGS_USAGE = `Usage: podsmith logs [-c CONTAINER] [-f] [--tail N] [--since DURATION] [--timestamps] [--previous] POD

Prints a container's log (the first app container unless -c names one). -f follows it until Ctrl-C, across
log rotation and container restarts. --tail N starts with the last N lines; --since 5m (or 30s, 1h30m) only
shows newer lines; --timestamps prefixes each line with its RFC 3339 time; --previous shows the instance
before the last restart. Exit 0 on success, 1 when the pod or container does not exist, 2 for usage.`;

export function logsCommand(argv: string[], io: Io, deps: PodCommandDeps = {}): Promise<number> {
  return runPodCommand('logs', LOGS_USAGE, io, deps, async (client) => {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        container: { type: 'string', short: 'c' },
        follow: { type: 'boolean', short: 'f' },
        tail: { type: 'string' },
        since: { type: 'string' },
        timestamps: { type: 'boolean' },
        previous: { type: 'boolean', short: 'p' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      io.out(LOGS_USAGE + '\n');
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'logs needs a pod name' : 'logs takes one pod name');
    let tail: number | undefined;
    if (values.tail !== undefined && values.tail !== '-1') {
      tail = Number(values.tail);
      if (!/^\d+$/.test(values.tail) || !Number.isSafeInteger(tail)) throw new UsageError(`--tail takes a number of lines, not "${values.tail}"`);
    }
    let sinceSeconds: number | undefined;
    if (values.since !== undefined) {
      sinceSeconds = parseDuration(values.since);
      if (sinceSeconds === undefined) throw new UsageError(`--since takes a duration like 30s, 5m or 1h30m, not "${values.since}"`);
    }
    const logs = await client.logs({
      pod: positionals[0],
      container: values.container,
      follow: !!values.follow,
      tail,
      sinceSeconds,
      timestamps: !!values.timestamps,
      previous: !!values.previous,
    });
    const { signal, dispose } = interruptSignal(deps);
    const stop = (): void => logs.close();
    signal.addEventListener('abort', stop, { once: true });
    try {
      // pipeline waits for the terminal or pipe to take each chunk, so a huge log is never held in memory.
      await pipeline(logs.stream, outputStream(io, 'out'), { end: false });
      if (signal.aborted) return 0;
      await logs.done;
      return 0;
    } catch (err) {
      // Ctrl-C, or the reader went away (`podsmith logs web | head`): both are a normal end.
      if (signal.aborted || (err as NodeJS.ErrnoException).code === 'EPIPE') {
        logs.close();
        return 0;
      }
      throw err;
    } finally {
      signal.removeEventListener('abort', stop);
      dispose();
    }
  });
}
