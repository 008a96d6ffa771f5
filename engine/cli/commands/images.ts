// `podsmith images [-o json]`: the images in the local store.
import { parseArgs } from 'node:util';
import { familiarReference, parseReference } from '../../image/reference';
import { isDigest, shortDigest } from '../../image/store/digest';
import { UsageError } from '../files';
import type { Io } from '../io';
import { formatAge, formatSize, runStoreCommand } from './store-command';

export const IMAGES_USAGE = `Usage: podsmith images [-o table|json]

Lists the images in the local image store (PODSMITH_HOME): repository, tag, digest, size (compressed, as
downloaded) and when the image was created.`;

export interface ImageRow {
  name: string;
  repository: string;
  tag: string;
  digest: string;
  size?: number;
  created?: string;
  taggedAt: string;
}

function splitName(name: string): { repository: string; tag: string } {
  if (isDigest(name)) return { repository: '<none>', tag: '<none>' };
  const ref = parseReference(name);
  const repository = familiarReference({ ...ref, tag: undefined, digest: undefined });
  return { repository, tag: ref.tag ?? '<none>' };
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('   ')).join('\n') + '\n';
}

export function imagesCommand(argv: string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return runStoreCommand('images', IMAGES_USAGE, io, env, async (open) => {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { output: { type: 'string', short: 'o', default: 'table' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help) {
      io.out(IMAGES_USAGE + '\n');
      return 0;
    }
    if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    if (values.output !== 'table' && values.output !== 'json') throw new UsageError(`-o must be table or json, not "${values.output}"`);
    const store = await open();
    const rows: ImageRow[] = [];
    for (const img of await store.listImages()) {
      const details = await store.describeImage(img.digest);
      rows.push({ name: img.name, ...splitName(img.name), digest: img.digest, size: details.size, created: details.created, taggedAt: img.taggedAt });
    }
    if (values.output === 'json') {
      io.out(JSON.stringify(rows, null, 2) + '\n');
      return 0;
    }
    const lines = [['REPOSITORY', 'TAG', 'DIGEST', 'SIZE', 'CREATED']];
    for (const r of rows) lines.push([r.repository, r.tag, shortDigest(r.digest), formatSize(r.size), formatAge(r.created)]);
    io.out(table(lines));
    return 0;
  });
}
