// `podsmith pull [--platform OS/ARCH[/VARIANT]] [--insecure-registry HOST[:PORT]]... [-q] IMAGE`
import { parseArgs } from 'node:util';
import { BUILTIN_IMAGE, ensureBuiltinImage, isBuiltinImage } from '../../image/builtin';
import { pullImage } from '../../image/pull';
import { familiarReference } from '../../image/reference';
import { UsageError } from '../files';
import { reportError, type Io } from '../io';
import { isTty, runRegistryCommand, storeFor, type RegistryCommandDeps } from './registry-command';
import { createProgressReporter } from './transfer-progress';

export const PULL_USAGE = `Usage: podsmith pull [--platform OS/ARCH[/VARIANT]] [--insecure-registry HOST[:PORT]]... [-q] IMAGE

Downloads an image (nginx, nginx:1.25, ghcr.io/o/r:tag, host:5000/r@sha256:...) into Podsmith's image store.
From a multi-platform index it takes this host's platform unless --platform names another. Credentials come
from 'podsmith login', containers auth.json or ~/.docker/config.json. Plain HTTP is used only for registries
marked insecure (--insecure-registry, PODSMITH_INSECURE_REGISTRIES, $PODSMITH_HOME/registries.json).
-q prints only the manifest digest. Exit 0 on success, 1 when the pull fails, 2 for usage errors.`;

export function pullCommand(argv: string[], io: Io, deps: RegistryCommandDeps = {}): Promise<number> {
  return runRegistryCommand('pull', PULL_USAGE, io, async () => {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        platform: { type: 'string' },
        'insecure-registry': { type: 'string', multiple: true },
        quiet: { type: 'boolean', short: 'q' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      io.out(PULL_USAGE + '\n');
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'pull needs an image reference' : 'pull takes one image reference');
    const store = await storeFor(deps);
    if (isBuiltinImage(positionals[0])) {
      // Not in any registry: made from this host's busybox-static.
      const digest = await ensureBuiltinImage(store, positionals[0]);
      io.out(values.quiet ? digest + '\n' : `Built ${BUILTIN_IMAGE} from this host's busybox (${digest})\n`);
      return 0;
    }
    const reporter = values.quiet ? undefined : createProgressReporter(io, { tty: isTty(io, deps), verb: 'pull' });
    try {
      const r = await pullImage(positionals[0], {
        store,
        platform: values.platform,
        insecure: values['insecure-registry'],
        env: deps.env,
        timeouts: deps.timeouts,
        retry: deps.retry,
        signal: deps.signal,
        onProgress: reporter && ((e) => reporter.onProgress(e)),
      });
      reporter?.finish();
      for (const w of r.warnings) reportError(io, `podsmith pull: warning: ${w}\n`);
      if (values.quiet) io.out(r.digest + '\n');
      else io.out(`Pulled ${familiarReference(r.reference)} (${r.digest}${r.downloadedBytes === 0 ? ', up to date' : ''})\n`);
      return 0;
    } catch (err) {
      reporter?.finish();
      throw err;
    }
  });
}
