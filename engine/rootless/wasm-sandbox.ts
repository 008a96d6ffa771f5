// What a wasm pod's sandbox (engine/pods/wasm/sandbox.ts) takes from a rootless engine. Its supervisor runs as
// root of a user namespace of its own, mapped to one id that no one else uses. Root draws that id from the
// host's range for containers; a rootless engine has only its namespace's ids (its subordinate range), so
// the id is drawn from there: above 65535 when the range is larger (where image users rarely are), else
// from 50000-65533, which native containers share only if an image or runAsUser picks such an id. A
// single-id namespace has no second id at all, so wasm pods cannot run in it. The sandbox's skeleton root
// must be reachable by that id, which the user's home and runtime directory (0700) are not: it lives in a
// directory of the user's under the system's temporary directory instead, checked like root's /run/podsmith.
import { join } from 'node:path';
import { identity, type Identity } from './identity';
import { SINGLE_ID_LIMITS } from './mapping';

export interface IdSpan {
  base: number;
  span: number;
}

/** Where the sandbox's id is drawn from, or a reason the namespace has none to give. */
export function sandboxIdSpan(id: Identity = identity()): IdSpan | { unavailable: string } {
  if (id.hostRoot) return { base: 1_000_000_000, span: 1 << 28 };
  if (!id.nsRoot) return { unavailable: `a user who is not root runs wasm pods only inside their user namespace (this process runs as uid ${process.getuid?.()} outside one)` };
  const ids = Math.min(id.uidCount, id.gidCount);
  if (ids <= 1) return { unavailable: `pod-wasm needs a second id for its sandbox, and ${SINGLE_ID_LIMITS}` };
  if (ids > 65536 + 1024) return { base: 65536, span: ids - 65536 };
  if (ids > 65534) return { base: 50000, span: 65534 - 50000 };
  return { base: Math.floor(ids / 2), span: ids - 1 - Math.floor(ids / 2) };
}

/** The directory holding sandbox skeleton roots: root's /run/podsmith, a rootless user's /tmp/podsmith-<uid>. */
export function skeletonParent(): string {
  const id = identity();
  return id.hostRoot ? '/run/podsmith' : join('/tmp', `podsmith-${id.hostUid}`);
}
