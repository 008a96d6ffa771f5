// `podsmith rmi NAME...`: removes image names (a digest or its 12+ hex prefix removes every name of that image).
// The blobs stay until `podsmith prune`.
import { parseArgs } from 'node:util';
import { UsageError } from '../files';
import type { Io } from '../io';
import { runStoreCommand } from './store-command';
import { ImageError } from '../../image/types';

export const RMI_USAGE = `Usage: podsmith rmi NAME|DIGEST...

Removes image names from the local store. A digest (sha256:…, or at least 12 hex characters of it) removes
every name of that image. Run 'podsmith prune' afterwards to free the disk space.`;

const DIGEST_PREFIX = /^(?:sha256:)?([a-f0-9]{12,64})$/;

export function rmiCommand(argv: string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return runStoreCommand('rmi', RMI_USAGE, io, env, async (open) => {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { help: { type: 'boolean', short: 'h' } } });
    if (values.help) {
      io.out(RMI_USAGE + '\n');
      return 0;
    }
    if (positionals.length === 0) throw new UsageError('rmi needs at least one image name');
    const store = await open();
    let failed = false;
    for (const arg of positionals) {
      let removed: string[] = [];
      try {
        if (await store.removeImage(arg)) removed = [arg];
      } catch (err) {
        if (!(err instanceof ImageError) || !DIGEST_PREFIX.test(arg)) throw err; // not a valid name: maybe a digest
      }
      const prefix = DIGEST_PREFIX.exec(arg)?.[1];
      if (removed.length === 0 && prefix) {
        const digests = [...new Set((await store.listImages()).map((i) => i.digest).filter((d) => d.slice(7).startsWith(prefix)))];
        if (digests.length > 1) {
          io.err(`podsmith rmi: ${arg} matches ${digests.length} images; give more of the digest\n`);
          failed = true;
          continue;
        }
        if (digests.length === 1) removed = await store.removeDigest(digests[0]);
      }
      if (removed.length === 0) {
        io.err(`podsmith rmi: no such image: ${arg}\n`);
        failed = true;
        continue;
      }
      for (const n of removed) io.out(`Untagged: ${n}\n`);
    }
    return failed ? 1 : 0;
  });
}
