// `podsmith ps [-a] [-o wide|json|yaml] [POD...]`
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import type { PodStatus } from '../../pods/types';
import { UsageError } from '../files';
import { kubeList, kubePod } from '../format/kube-object';
import { podRows, renderTable } from '../format/pod-table';
import type { Io } from '../io';
import { runPodCommand, type PodCommandDeps } from './daemon-command';

export const PS_USAGE = `Usage: podsmith ps [-a] [-o wide|json|yaml] [POD...]

Lists pods: NAME READY STATUS RESTARTS AGE. Without -a only pods that are pending, running or being
stopped (Terminating); -a adds pods that have stopped (Succeeded, Failed). -o wide adds the runtime class, the OCI runtime and the pod IP;
-o json and -o yaml print the pods as Kubernetes Pod objects (a List, or the pod itself when one POD is
named), as 'kubectl get -o json' does. Exit 0 on success, 1 when a named pod does not exist, 2 for usage.`;

const FORMATS = new Set(['wide', 'json', 'yaml']);
const STOPPED = new Set(['Succeeded', 'Failed']);

export function psCommand(argv: string[], io: Io, deps: PodCommandDeps = {}): Promise<number> {
  return runPodCommand('ps', PS_USAGE, io, deps, async (client) => {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        all: { type: 'boolean', short: 'a' },
        output: { type: 'string', short: 'o' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      io.out(PS_USAGE + '\n');
      return 0;
    }
    if (values.output !== undefined && !FORMATS.has(values.output)) throw new UsageError(`unknown output format "${values.output}"; use wide, json or yaml`);
    let pods: PodStatus[];
    if (positionals.length) pods = await Promise.all(positionals.map((p) => client.getPod(p)));
    else pods = (await client.listPods()).filter((p) => values.all || !STOPPED.has(p.phase) || p.deletionTimestamp);
    pods.sort((a, b) => a.name.localeCompare(b.name));
    const now = (deps.now ?? Date.now)();
    if (values.output === 'json' || values.output === 'yaml') {
      const obj = positionals.length === 1 ? kubePod(pods[0]) : kubeList(pods);
      io.out(values.output === 'json' ? JSON.stringify(obj, null, 4) + '\n' : stringify(obj));
      return 0;
    }
    if (pods.length === 0) {
      io.err(values.all ? 'No pods. Start one with: podsmith run -f FILE\n' : "No running pods ('podsmith ps -a' includes stopped ones).\n");
      return 0;
    }
    io.out(renderTable(podRows(pods, values.output === 'wide', now)));
    return 0;
  });
}
