// `podsmith describe POD`
import { parseArgs } from 'node:util';
import { UsageError } from '../files';
import { describePod } from '../format/pod-describe';
import type { Io } from '../io';
import { runPodCommand, type PodCommandDeps } from './daemon-command';

export const DESCRIBE_USAGE = `Usage: podsmith describe POD...

Shows a pod in detail, as 'kubectl describe pod' does: its runtime class and OCI runtime, IP, each
container's image, state, last state, exit code and restarts, the pod's conditions and its recent events.
Exit 0 on success, 1 when a pod does not exist, 2 for usage.`;

export function describeCommand(argv: string[], io: Io, deps: PodCommandDeps = {}): Promise<number> {
  return runPodCommand('describe', DESCRIBE_USAGE, io, deps, async (client) => {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { help: { type: 'boolean', short: 'h' } } });
    if (values.help) {
      io.out(DESCRIBE_USAGE + '\n');
      return 0;
    }
    if (positionals.length === 0) throw new UsageError('describe needs a pod name');
    const now = (deps.now ?? Date.now)();
    const texts: string[] = [];
    for (const name of positionals) {
      const pod = await client.getPod(name);
      // Events are recorded by name and uid; the uid keeps a re-created pod's history apart.
      const events = (await client.listEvents(pod.name)).filter((e) => !('uid' in e) || e.uid === pod.uid);
      texts.push(describePod(pod, events, now));
    }
    io.out(texts.join('\n\n'));
    return 0;
  });
}
