// Writes a bundle's config.json. The rootfs is the unpacker's job; this only places the config beside it.
// Written to a temporary name and renamed so a runtime never reads a half-written file.

import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RuntimeSpec } from './oci-spec';
import { adaptBundleForRootless } from '../../rootless/bundle';

export async function writeBundle(dir: string, config: RuntimeSpec): Promise<string> {
  await mkdir(dir, { recursive: true });
  const target = join(dir, 'config.json');
  const temp = join(dir, `.config.json.${process.pid}.tmp`);
  // 0600: the env may carry secret values.
  await writeFile(temp, JSON.stringify(adaptBundleForRootless(config), null, 2) + '\n', { mode: 0o600 });
  await rename(temp, target);
  return target;
}
