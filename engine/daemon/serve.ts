// Runs the daemon in this process until SIGTERM, SIGINT or a Shutdown request, and returns the exit code.
// Shared by `podsmith daemon` and the tests' daemon so both handle signals and failures the same way.
import { createDaemonLog } from './log';
import { daemonPaths } from './paths';
import type { DaemonRuntime } from './runtimes';
import { startDaemon } from './server';

export interface ServeOptions {
  home: string;
  version: string;
  createRuntime(home: string): Promise<DaemonRuntime>;
  /** Where to say what happened (stderr; the daemon log when started on demand). */
  report(line: string): void;
  /** Stop after this long with nothing to do (a daemon started on demand); default never. */
  idleExitMs?: number;
}

export async function serveDaemon(opts: ServeOptions): Promise<number> {
  const log = createDaemonLog(daemonPaths(opts.home).log);
  // A stray rejection must not take down every client's connection with it; it is logged for a bug report.
  const onRejection = (reason: unknown): void => log.error(`unhandled rejection: ${(reason as Error)?.stack ?? String(reason)}`);
  let stop: (() => Promise<void>) | undefined;
  let signalled = false;
  const onSignal = (sig: NodeJS.Signals): void => {
    log.info(`received ${sig}`);
    signalled = true;
    void stop?.();
  };
  process.on('unhandledRejection', onRejection);
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    const r = await startDaemon({ ...opts, log });
    if (!r.ok) {
      opts.report(`a podsmith daemon is already running${r.pid ? ` (pid ${r.pid})` : ''} on ${r.socket}; 'podsmith daemon stop' stops it`);
      return 1;
    }
    stop = r.daemon.stop;
    opts.report(`podsmith daemon listening on ${r.daemon.paths.socket} (pid ${process.pid})`);
    // A signal during start-up (reconcile can take a while) is honoured now.
    if (signalled) void stop();
    await r.daemon.closed;
    return 0;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    process.off('unhandledRejection', onRejection);
  }
}
