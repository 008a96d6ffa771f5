// Which names an image in an archive carries. OCI layouts say it in index annotations: containerd writes the full
// name to `io.containerd.image.name`; `org.opencontainers.image.ref.name` holds either a full reference or just
// a tag (skopeo `oci:DIR:TAG`, umoci), and a bare tag names no repository. Docker archives list `RepoTags`.
import { canonicalName } from '../store/names';

const CONTAINERD_NAME = 'io.containerd.image.name';
export const OCI_REF_NAME = 'org.opencontainers.image.ref.name';

export interface NameResult {
  names: string[];
  /** Names we could not use, with why (bare tags, invalid references). */
  skipped: string[];
}

function add(out: NameResult, raw: string): void {
  try {
    const n = canonicalName(raw);
    if (!out.names.includes(n)) out.names.push(n);
  } catch (err) {
    out.skipped.push(`${raw} (${(err as Error).message})`);
  }
}

export function namesFromAnnotations(annotations: Record<string, string> | undefined): NameResult {
  const out: NameResult = { names: [], skipped: [] };
  const full = annotations?.[CONTAINERD_NAME];
  if (typeof full === 'string') add(out, full);
  const ref = annotations?.[OCI_REF_NAME];
  if (typeof ref === 'string') {
    // A bare tag has neither a path separator nor a tag separator.
    if (ref.includes('/') || ref.includes(':') || ref.includes('@')) add(out, ref);
    else if (!full) out.skipped.push(`${ref} (a tag without a repository name; use --name)`);
  }
  return out;
}

export function namesFromRepoTags(tags: unknown): NameResult {
  const out: NameResult = { names: [], skipped: [] };
  if (Array.isArray(tags)) for (const t of tags) if (typeof t === 'string') add(out, t);
  return out;
}
