// Platforms (`linux/arm64/v8`): parsing, this host's, and picking an image out of an index.
import { ImageError, type Descriptor, type ImageIndex, type Platform } from '../types';

const NODE_TO_OCI_ARCH: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm',
  ia32: '386',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: 'loong64',
  mips: 'mips',
  mipsel: 'mipsle',
};

const ALIASES: Record<string, string> = { x86_64: 'amd64', 'x86-64': 'amd64', aarch64: 'arm64', armhf: 'arm', armel: 'arm', i386: '386' };
const NAME = /^[a-z0-9_-]{1,32}$/;

/** The platform images run on here; arm64 and arm get their conventional default variants. */
export function hostPlatform(): Platform {
  const architecture = NODE_TO_OCI_ARCH[process.arch] ?? process.arch;
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  if (architecture === 'arm64') return { os, architecture, variant: 'v8' };
  if (architecture === 'arm') return { os, architecture, variant: 'v7' };
  return { os, architecture };
}

/** Parses `os/arch[/variant]` (`linux/arm64/v8`, `linux/amd64`). Throws ImageError INVALID_PLATFORM. */
export function parsePlatform(text: string): Platform {
  const parts = text.trim().toLowerCase().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !NAME.test(p))) {
    throw new ImageError(`invalid platform "${text}": write os/architecture[/variant], e.g. linux/amd64 or linux/arm64/v8`, 'INVALID_PLATFORM');
  }
  const architecture = ALIASES[parts[1]] ?? parts[1];
  return { os: parts[0], architecture, ...(parts[2] ? { variant: parts[2] } : {}) };
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/** The variant a platform implies when it names none (arm64 means v8; arm means v7). */
function effectiveVariant(p: Platform): string | undefined {
  if (p.variant) return p.variant;
  if (p.architecture === 'arm64') return 'v8';
  if (p.architecture === 'arm') return 'v7';
  return undefined;
}

function matches(want: Platform, have: Platform): boolean {
  if (want.os !== have.os || want.architecture !== have.architecture) return false;
  // Asking without a variant accepts any; asking for one needs it (with the implied defaults).
  return !want.variant || effectiveVariant(want) === effectiveVariant(have);
}

/**
 * Picks the manifest for `want` from an index. Entries without a platform or for `unknown/unknown`
 * (attestations) are skipped. Among matches the one with the wanted (or default) variant wins, then the first.
 */
export function selectManifest(index: ImageIndex, want: Platform): Descriptor {
  const candidates = index.manifests.filter((d) => d.platform && d.platform.os !== 'unknown' && matches(want, d.platform));
  const preferred = candidates.find((d) => effectiveVariant(d.platform!) === effectiveVariant(want)) ?? candidates[0];
  if (preferred) return preferred;
  const available = index.manifests
    .filter((d) => d.platform && d.platform.os !== 'unknown')
    .map((d) => formatPlatform(d.platform!))
    .join(', ');
  throw new ImageError(
    `no image for platform ${formatPlatform(want)} in this index (available: ${available || 'none'}); choose one with --platform`,
    'NOT_FOUND',
  );
}
