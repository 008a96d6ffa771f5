// `podsmith events [--watch] [-o json] [POD]`
import { parseArgs } from 'node:util';
import type { PodEvent } from '../../pods/types';
import { UsageError } from '../files';
import { age } from '../format/duration';
import { eventRow } from '../format/event-rows';
import { renderTable } from '../format/pod-table';
import type { Io } from '../io';
import { CommandFailed, interruptSignal, runPodCommand, type PodCommandDeps } from './daemon-command';

export const EVENTS_USAGE = `Usage: podsmith events [--watch] [-o json] [POD]

Lists recent pod events, oldest first: LAST SEEN TYPE REASON OBJECT MESSAGE, with the kubelet's reasons
(Created, Started, Killing, BackOff, Failed, Unhealthy, FailedPostStartHook, FailedPreStopHook, Pulled, ...)
and the state changes (Completed, Error, Ready, ...). The history survives daemon restarts. --watch keeps
printing new events until Ctrl-C. -o json prints one JSON event per line (a failed run's event carries the
failing container's last output). Exit 0 on success, 2 for usage.`;

const HEAD = ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'];
/** Watch rows cannot be aligned to rows not seen yet: fixed widths instead. */
const WATCH_WIDTHS = [11, 9, 18, 28];

export function eventsCommand(argv: string[], io: Io, deps: PodCommandDeps = {}): Promise<number> {
  return runPodCommand('events', EVENTS_USAGE, io, deps, async (client) => {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { watch: { type: 'boolean', short: 'w' }, output: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help) {
      io.out(EVENTS_USAGE + '\n');
      return 0;
    }
    if (positionals.length > 1) throw new UsageError('events takes at most one pod name');
    if (values.output !== undefined && values.output !== 'json') throw new UsageError(`unknown output format "${values.output}"; use json`);
    const json = values.output === 'json';
    const pod = positionals[0];
    const now = deps.now ?? Date.now;
    const cells = (e: PodEvent): string[] => {
      const r = eventRow(e);
      return [age(r.time, now()), r.type, r.reason, r.object, r.message];
    };

    if (!values.watch) {
      const events = await client.listEvents(pod);
      if (json) io.out(events.map((e) => JSON.stringify(e) + '\n').join(''));
      else if (events.length === 0) io.err('No events.\n');
      else io.out(renderTable([HEAD, ...events.map(cells)]));
      return 0;
    }

    const line = (c: string[]): string => c.map((cell, i) => (i < WATCH_WIDTHS.length ? cell.padEnd(WATCH_WIDTHS[i] - 1) + ' ' : cell)).join('') + '\n';
    const print = (e: PodEvent): void => io.out(json ? JSON.stringify(e) + '\n' : line(cells(e)));
    // Subscribe before listing so nothing falls between the two; events seen in both are printed once.
    const seen = new Set<string>();
    const buffered: PodEvent[] = [];
    let listed = false;
    const unsubscribe = await client.subscribe({ pod }, (e) => {
      if (!listed) buffered.push(e);
      else if (!seen.has(JSON.stringify(e))) print(e);
    });
    const { signal, dispose } = interruptSignal(deps);
    try {
      if (!json) io.out(line(HEAD));
      for (const e of await client.listEvents(pod)) {
        seen.add(JSON.stringify(e));
        print(e);
      }
      listed = true;
      for (const e of buffered) if (!seen.has(JSON.stringify(e))) print(e);
      const why = await new Promise<'interrupted' | 'daemon-gone'>((resolve) => {
        if (signal.aborted) return resolve('interrupted');
        signal.addEventListener('abort', () => resolve('interrupted'), { once: true });
        client.onClose(() => resolve('daemon-gone'));
      });
      if (why === 'daemon-gone') throw new CommandFailed(`the daemon stopped; 'podsmith events --watch' again starts a new one`);
      await unsubscribe();
    } finally {
      dispose();
    }
    return 0;
  });
}
