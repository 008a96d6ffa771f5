// Chain IDs (OCI image spec, "Layer ChainID"): a layer's identity together with everything below it.
// ChainID(L0) = DiffID(L0); ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln)).
// Unpacked layers are cached by chain ID, not diff ID, because how a layer unpacks depends on the layers under
// it (a path through a lower layer's symlink, a hardlink to a lower file, the names an opaque dir hides).
import { sha256Digest } from './digest';
import type { Digest } from '../types';

export function chainIds(diffIds: readonly Digest[]): Digest[] {
  const out: Digest[] = [];
  for (const d of diffIds) out.push(out.length === 0 ? d : sha256Digest(`${out[out.length - 1]} ${d}`));
  return out;
}
