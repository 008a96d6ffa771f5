// `podsmith push [--insecure-registry HOST[:PORT]]... [-q] IMAGE [DESTINATION]`
import { parseArgs } from 'node:util';
import { familiarReference } from '../../image/reference';
import { pushImage } from '../../image/registry/push-image';
import { UsageError } from '../files';
import type { Io } from '../io';
import { isTty, runRegistryCommand, storeFor, type RegistryCommandDeps } from './registry-command';
import { createProgressReporter } from './transfer-progress';

export const PUSH_USAGE = `Usage: podsmith push [--insecure-registry HOST[:PORT]]... [-q] IMAGE [DESTINATION]

Uploads an image from Podsmith's image store to a registry, as DESTINATION (host:5000/name:tag) or under its
own name. Blobs the registry already has are skipped. Exit 0 on success, 1 when the push fails, 2 for usage
errors.`;

export function pushCommand(argv: string[], io: Io, deps: RegistryCommandDeps = {}): Promise<number> {
  return runRegistryCommand('push', PUSH_USAGE, io, async () => {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'insecure-registry': { type: 'string', multiple: true },
        quiet: { type: 'boolean', short: 'q' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      io.out(PUSH_USAGE + '\n');
      return 0;
    }
    if (positionals.length < 1 || positionals.length > 2) throw new UsageError('push takes an image and optionally a destination');
    const store = await storeFor(deps);
    const reporter = values.quiet ? undefined : createProgressReporter(io, { tty: isTty(io, deps), verb: 'push' });
    try {
      const r = await pushImage(positionals[0], positionals[1], {
        store,
        insecure: values['insecure-registry'],
        env: deps.env,
        timeouts: deps.timeouts,
        retry: deps.retry,
        signal: deps.signal,
        onProgress: reporter && ((e) => reporter.onProgress(e)),
      });
      reporter?.finish();
      if (values.quiet) io.out(r.digest + '\n');
      else io.out(`Pushed ${familiarReference(r.destination)} (${r.digest}; ${r.uploaded} blobs uploaded, ${r.skipped} already there)\n`);
      return 0;
    } catch (err) {
      reporter?.finish();
      throw err;
    }
  });
}
