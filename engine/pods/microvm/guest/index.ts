// Everything a microVM boots from: Debian's kernel (kernel.ts), Podsmith's initramfs with the agent
// (initramfs.ts) and the read-only tools image (tools-image.ts), each cached by content.
import { existsSync } from 'node:fs';
import { guestCacheDir } from './cache';
import { ensureInitramfs, type Initramfs } from './initramfs';
import { ensureKernel, type GuestKernel } from './kernel';
import { ensureToolsImage } from './tools-image';

export { guestCacheDir } from './cache';
export { ensureKernel, fetchKernel, cachedKernel, KernelUnavailableError, KERNEL_FIX, GUEST_MODULES, type GuestKernel } from './kernel';
export { ensureInitramfs, type Initramfs } from './initramfs';
export { ensureToolsImage, ToolsUnavailableError } from './tools-image';
export { AGENT_PORT_NAME, PROBE_MARKER } from './init-script';

export interface GuestImage {
  kernel: GuestKernel;
  initramfs: Initramfs;
  tools: { path: string; key: string };
}

let last: { cache: string; image: GuestImage } | undefined;

/** The kernel, initramfs and tools image (built when missing; the kernel fetched when `fetchKernel`). */
export async function ensureGuestImage(opts: { cache?: string; fetchKernel?: boolean; onProgress?: (m: string) => void } = {}): Promise<GuestImage> {
  const cache = opts.cache ?? guestCacheDir();
  // One build per process: the agent and the host's binaries do not change under a running daemon.
  if (last && last.cache === cache && [last.image.kernel.vmlinux, last.image.initramfs.path, last.image.tools.path].every((p) => existsSync(p))) return last.image;
  const kernel = await ensureKernel({ cache, fetch: opts.fetchKernel, onProgress: opts.onProgress });
  const [initramfs, tools] = await Promise.all([ensureInitramfs(kernel, cache), ensureToolsImage(cache)]);
  const image = { kernel, initramfs, tools };
  last = { cache, image };
  return image;
}
