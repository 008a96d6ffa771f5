// Pod names are unique across runtime classes: every runtime claims `<namespace>_<name>` in the shared
// `$PODSMITH_HOME/pod-names/` links (engine/pods/native/state.ts), and a link pointing at a uid that has a
// directory in any runtime's tree is alive.
import { readdir, readlink, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { nameLink } from '../native/paths';
import { claimName } from '../native/state';
import { readWasmPod } from './records';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Claims the name for `uid`; returns the uid of a live holder (a pod directory of any runtime) instead. */
export function claimPodName(home: string, namespace: string, name: string, uid: string): Promise<string | undefined> {
  return claimName(home, namespace, name, uid);
}

/** Releases the name if `uid` holds it; without a name, every link that points at `uid`. */
export async function releasePodName(home: string, uid: string, pod?: { namespace: string; name: string }): Promise<void> {
  if (pod) {
    const link = nameLink(home, pod.namespace, pod.name);
    if ((await readlink(link).catch(() => undefined)) === uid) await unlink(link).catch(() => undefined);
    return;
  }
  const dir = join(home, 'pod-names');
  for (const n of await readdir(dir).catch(() => [] as string[])) {
    if ((await readlink(join(dir, n)).catch(() => undefined)) === uid) await unlink(join(dir, n)).catch(() => undefined);
  }
}

/**
 * The uid of a wasm pod given as uid, `name` or `namespace/name`; undefined for a name that belongs to a pod
 * of another runtime (its uid has no wasm-pods directory) or to nobody.
 */
export async function resolveWasmPod(home: string, ref: string): Promise<string | undefined> {
  if (UUID.test(ref) && (await readWasmPod(home, ref))) return ref;
  const slash = ref.indexOf('/');
  const [namespace, name] = slash < 0 ? ['default', ref] : [ref.slice(0, slash), ref.slice(slash + 1)];
  const uid = await readlink(nameLink(home, namespace, name)).catch(() => undefined);
  return uid && (await readWasmPod(home, uid)) ? uid : undefined;
}
