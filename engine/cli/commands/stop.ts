// `podsmith stop POD... [--grace SECONDS]`
import { parseArgs } from 'node:util';
import { LIMITS } from '../../limits/table';
import { UsageError } from '../files';
import type { Io } from '../io';
import { runPodCommand, type PodCommandDeps } from './daemon-command';

export const STOP_USAGE = `Usage: podsmith stop [--grace SECONDS] POD...

Stops a pod's containers: preStop hooks, SIGTERM, then SIGKILL after the grace period (the pod's
terminationGracePeriodSeconds unless --grace says otherwise; at most 300). App containers stop before
sidecars. The pod shows as Terminating meanwhile, then stays listed ('podsmith ps -a') until 'podsmith rm'
deletes it. A stop of a pod already stopping joins that stop: a shorter --grace takes effect at once (a
longer one changes nothing); 'podsmith rm -f' ends it at once.
Exit 0 on success, 1 when a pod does not exist or cannot be stopped, 2 for usage.`;

export function stopCommand(argv: string[], io: Io, deps: PodCommandDeps = {}): Promise<number> {
  return runPodCommand('stop', STOP_USAGE, io, deps, async (client) => {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { grace: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help) {
      io.out(STOP_USAGE + '\n');
      return 0;
    }
    if (positionals.length === 0) throw new UsageError('stop needs a pod name');
    let grace: number | undefined;
    if (values.grace !== undefined) {
      grace = Number(values.grace);
      if (!/^\d+$/.test(values.grace) || !Number.isSafeInteger(grace)) throw new UsageError(`--grace takes whole seconds, not "${values.grace}"`);
      // "At most 300": a longer grace is cut to the limit here (the daemon refuses one above it).
      grace = Math.min(grace, LIMITS.terminationGracePeriodSeconds);
    }
    for (const pod of positionals) {
      const status = await client.stopPod({ pod, gracePeriodSeconds: grace });
      io.out(`pod/${status.name} stopped (${status.phase})\n`);
    }
    return 0;
  });
}
