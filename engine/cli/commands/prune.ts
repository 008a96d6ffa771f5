// `podsmith prune [--grace DURATION]`: deletes blobs and unpacked layers no image name (or live rootfs) needs.
import { parseArgs } from 'node:util';
import { DEFAULT_PRUNE_GRACE_MS } from '../../image/store/prune';
import { UsageError } from '../files';
import { processIo, type Io } from '../io';
import { podsmithCommand } from '../../client/start-daemon';
import { podsmithHome } from '../../home';
import { needsNamespace } from '../../rootless/namespace';
import { runInside } from '../../rootless/run-inside';
import { formatSize, parseDuration, runStoreCommand } from './store-command';

export const PRUNE_USAGE = `Usage: podsmith prune [--grace DURATION]

Deletes blobs, unpacked layers and stale partial downloads that no image name or existing container rootfs
uses. Things younger than the grace period (default 10m) are kept, so a pull running at the same time keeps
what it has downloaded; --grace 0 removes them too. Waits up to a minute for running pulls and unpacks.`;

export function pruneCommand(argv: string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return runStoreCommand('prune', PRUNE_USAGE, io, env, async (open) => {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { grace: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help) {
      io.out(PRUNE_USAGE + '\n');
      return 0;
    }
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const graceMs = values.grace === undefined ? DEFAULT_PRUNE_GRACE_MS : parseDuration(values.grace, '--grace');
    // A rootless store's unpacked layers belong to the user's subordinate ids: only their namespace removes them.
    if (needsNamespace() && io === processIo) {
      const { command, args, cwd } = podsmithCommand();
      return runInside(podsmithHome(env), [command, ...args, 'prune', ...argv], env, cwd);
    }
    const store = await open();
    const r = await store.prune({ graceMs });
    io.out(`Removed ${r.blobsRemoved} blob${r.blobsRemoved === 1 ? '' : 's'}, ${r.layersRemoved} unpacked layer${r.layersRemoved === 1 ? '' : 's'} and ${r.partialsRemoved} partial download${r.partialsRemoved === 1 ? '' : 's'}; freed ${formatSize(r.bytesFreed)}\n`);
    if (r.keptRecent > 0) io.out(`Kept ${r.keptRecent} unreferenced item${r.keptRecent === 1 ? '' : 's'} younger than the grace period (--grace 0 removes them)\n`);
    return 0;
  });
}
