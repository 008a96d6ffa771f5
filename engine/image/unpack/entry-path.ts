// Tar entry names -> path components, strictly. Accepted: relative names, `./` prefixes, doubled or trailing
// slashes. Refused (HOSTILE_LAYER): absolute names, `..` anywhere, NUL bytes, over-long paths or components, and
// names that are not valid UTF-8. Absolute names are refused rather than re-rooted: layer producers (docker,
// buildkit, umoci, skopeo) never write them, and GNU tar strips them with a warning for the same reason, so one
// showing up means a hand-crafted archive; refusing also keeps our result identical to every other runtime's.
import type { UnpackLimits } from './limits';
import { hostile } from './errors';

export function entryComponents(name: string, limits: Pick<UnpackLimits, 'pathBytes' | 'componentBytes'>): string[] {
  if (name.includes('\0')) throw hostile('the name contains a NUL byte');
  // tar-stream decodes names as UTF-8; invalid bytes come out as U+FFFD and could never be written back
  // faithfully, so such names are refused instead of silently renamed.
  if (name.includes('\uFFFD')) throw hostile('the name is not valid UTF-8');
  if (Buffer.byteLength(name) > limits.pathBytes) throw hostile(`the name is longer than ${limits.pathBytes} bytes`);
  if (name.startsWith('/')) throw hostile('absolute path (layer entries must be relative to the image root)');
  const out: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') throw hostile('the path contains a ".." component');
    if (Buffer.byteLength(part) > limits.componentBytes) throw hostile(`a path component is longer than ${limits.componentBytes} bytes`);
    out.push(part);
  }
  return out;
}

/** Symlink targets are data (never followed on the host), but a NUL or an absurd length still marks a crafted entry. */
export function checkSymlinkTarget(target: string, limits: Pick<UnpackLimits, 'pathBytes'>): void {
  if (target.includes('\0')) throw hostile('the symlink target contains a NUL byte');
  if (target.length === 0) throw hostile('the symlink target is empty');
  if (Buffer.byteLength(target) > limits.pathBytes) throw hostile(`the symlink target is longer than ${limits.pathBytes} bytes`);
}

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';
