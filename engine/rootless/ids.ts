// Ids the engine itself runs helpers as (the pause process as 65535, probe agents as nobody): in a
// single-id user namespace (no subordinate range) they do not exist, and root, the user, stands in.
import { identity, outsideId } from './identity';

/** `id` (as uid and gid) when this process's user namespace has it, else 0. */
export function mappedIdOr0(id: number): number {
  const me = identity();
  if (me.hostRoot) return id;
  return outsideId(me.uidMap, id) !== undefined && outsideId(me.gidMap, id) !== undefined ? id : 0;
}
