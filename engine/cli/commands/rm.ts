// `podsmith rm [-f] POD...`
import { parseArgs } from 'node:util';
import { PodError } from '../../pods/types';
import { UsageError } from '../files';
import type { Io } from '../io';
import { CommandFailed, runPodCommand, type PodCommandDeps } from './daemon-command';

export const RM_USAGE = `Usage: podsmith rm [-f] POD...

Deletes pods with everything they own (containers, logs, volumes, network). A running pod is stopped first,
as 'podsmith stop' does (preStop hooks, SIGTERM, the grace period, then SIGKILL), and shows as Terminating
meanwhile. -f kills at once: it also ends a stop or delete already waiting out its grace period, and cancels
a 'podsmith run' that is still starting the pod (that run then fails with CANCELLED).
Exit 0 on success, 1 when a pod does not exist or cannot be deleted, 2 for usage.`;

export function rmCommand(argv: string[], io: Io, deps: PodCommandDeps = {}): Promise<number> {
  return runPodCommand('rm', RM_USAGE, io, deps, async (client) => {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { force: { type: 'boolean', short: 'f' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help) {
      io.out(RM_USAGE + '\n');
      return 0;
    }
    if (positionals.length === 0) throw new UsageError('rm needs a pod name');
    for (const pod of positionals) {
      try {
        await client.deletePod({ pod, force: !!values.force });
      } catch (err) {
        if (err instanceof PodError && err.code === 'BUSY' && !values.force && !err.message.includes('rm -f')) {
          throw new CommandFailed(`${err.message}; stop it first ('podsmith stop ${pod}') or delete it anyway with 'podsmith rm -f ${pod}'`);
        }
        throw err;
      }
      io.out(`pod/${pod} deleted\n`);
    }
    return 0;
  });
}
