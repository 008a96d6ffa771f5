// Pod names are unique across runtime classes: every runtime claims `<namespace>/<name>` in the shared
// `$PODSMITH_HOME/pod-names/` index (engine/pods/native/pod-names.ts), and a link pointing at a uid that has a
// directory in any runtime's tree is alive.
import { claimName, lookupName, releaseNamesOf, splitPodRef } from '../native/pod-names';
import { readWasmPod } from './records';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Claims the name for `uid`; returns the uid of a live holder (a pod directory of any runtime) instead. */
export function claimPodName(home: string, namespace: string, name: string, uid: string): Promise<string | undefined> {
  return claimName(home, namespace, name, uid);
}

/** Releases the name if `uid` holds it; without a name, every link that points at `uid`. */
export function releasePodName(home: string, uid: string, pod?: { namespace: string; name: string }): Promise<void> {
  return releaseNamesOf(home, uid, pod);
}

/**
 * The uid of a wasm pod given as uid, `name` or `namespace/name`; undefined for a name that belongs to a pod
 * of another runtime (its uid has no wasm-pods directory) or to nobody.
 */
export async function resolveWasmPod(home: string, ref: string): Promise<string | undefined> {
  if (UUID.test(ref) && (await readWasmPod(home, ref))) return ref;
  const { namespace, name } = splitPodRef(ref);
  const uid = await lookupName(home, namespace, name);
  return uid && (await readWasmPod(home, uid)) ? uid : undefined;
}
