// `podsmith microvm fetch-kernel|image`: the microVM guest. fetch-kernel downloads Debian's kernel package
// into the guest cache (run_pod does it too the first time); image builds the initramfs and tools image and
// prints where the three files are and their hashes.
import { parseArgs } from 'node:util';
import { UsageError } from '../files';
import type { Io } from '../io';

export const MICROVM_USAGE = `Usage: podsmith microvm fetch-kernel|image

  fetch-kernel   download the guest kernel (Debian's linux-image-amd64 kernel package) into the cache
  image          build the guest's initramfs and tools image (kernel fetched if missing); print their paths

The cache is $PODSMITH_VM_CACHE, else $XDG_CACHE_HOME/podsmith/microvm, else ~/.cache/podsmith/microvm.`;

export async function microvmCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    io.out(MICROVM_USAGE + '\n');
    return 0;
  }
  const [sub, ...rest] = positionals;
  if (rest.length) throw new UsageError(`unexpected argument "${rest[0]}"`);
  const guest = await import('../../pods/microvm/guest');
  const progress = (m: string) => io.err(`${m}\n`);
  if (sub === 'fetch-kernel') {
    const k = await guest.ensureKernel({ fetch: true, onProgress: progress });
    io.out(`guest kernel ${k.release} (${k.package} ${k.packageVersion}): ${k.vmlinux}\n`);
    return 0;
  }
  if (sub === 'image') {
    const image = await guest.ensureGuestImage({ fetchKernel: true, onProgress: progress });
    io.out(`kernel     ${image.kernel.vmlinux} (${image.kernel.release})\n`);
    io.out(`initramfs  ${image.initramfs.path}\n`);
    io.out(`tools      ${image.tools.path}\n`);
    return 0;
  }
  throw new UsageError(sub ? `unknown microvm command "${sub}"` : 'microvm needs a command: fetch-kernel or image');
}
