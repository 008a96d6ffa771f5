// `podsmith load -i FILE|DIR [--name NAME]`: imports images from an OCI layout, an oci-archive or a
// docker-archive.
import { parseArgs } from 'node:util';
import { loadImage } from '../../image/load';
import { UsageError } from '../files';
import { reportError, type Io } from '../io';
import { runStoreCommand } from './store-command';

export const LOAD_USAGE = `Usage: podsmith load -i FILE|DIR [--name NAME]

Imports images into the local store from an OCI image layout directory, an OCI archive (a tar of a layout) or
a docker-archive ('docker save' output), optionally gzip- or zstd-compressed. Images are named as the archive
says (index annotations, RepoTags); --name adds a name (when the input holds one image).`;

export function loadCommand(argv: string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return runStoreCommand('load', LOAD_USAGE, io, env, async (open) => {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { input: { type: 'string', short: 'i' }, name: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help) {
      io.out(LOAD_USAGE + '\n');
      return 0;
    }
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}" (the input goes after -i)`);
    if (!values.input) throw new UsageError('load needs -i FILE|DIR');
    const store = await open();
    const result = await loadImage(store, values.input, { name: values.name });
    for (const w of result.warnings) reportError(io, `podsmith load: warning: name not used: ${w}\n`);
    for (const img of result.images) {
      if (img.names.length === 0) io.out(`Loaded image: ${img.digest} (no name; use --name to give it one)\n`);
      for (const n of img.names) io.out(`Loaded image: ${n}\n`);
    }
    return 0;
  });
}
