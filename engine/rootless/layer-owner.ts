// Who owns an unpacked image file when the engine runs rootless. The unpacker runs inside the user's
// namespace as its root, so a file of uid N is simply chowned to N there, and the kernel stores the host id N
// maps to (the user's subordinate range): the container sees the image's own ids, with no xattrs or fuse
// layer in between. An id beyond the range cannot be stored and fails the unpack, naming it; in a single-id
// namespace every file becomes root's (podman's ignore_chown_errors), which is what SINGLE_ID_LIMITS says.
import { identity, outsideId, type Identity } from './identity';

export type LayerOwner = { uid: number; gid: number } | { unmapped: string };

export function layerOwner(uid: number, gid: number, id: Identity = identity()): LayerOwner {
  if (id.hostRoot) return { uid, gid };
  if (id.uidCount <= 1 || id.gidCount <= 1) return { uid: 0, gid: 0 };
  if (outsideId(id.uidMap, uid) === undefined)
    return { unmapped: `belongs to uid ${uid}, outside the ${id.uidCount} ids (0..${id.uidCount - 1}) of this rootless engine's user namespace; a larger range in /etc/subuid would hold it` };
  if (outsideId(id.gidMap, gid) === undefined)
    return { unmapped: `belongs to gid ${gid}, outside the ${id.gidCount} ids (0..${id.gidCount - 1}) of this rootless engine's user namespace; a larger range in /etc/subgid would hold it` };
  return { uid, gid };
}
