// Pod names are unique across runtime classes: every runtime claims `<namespace>_<name>` in the shared
// `$PODSMITH_HOME/pod-names/` links (engine/pods/native/state.ts) and a link pointing at a uid that has a
// directory in either runtime's tree is alive. Native's claimName only knows `pods/`, so it is not used here:
// it would take over the name of a live wasm pod (see the report for the matching change on the native side).
import { access, mkdir, readdir, readlink, symlink, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { nameLink, PodPaths } from '../native/paths';
import { WasmPodPaths } from './paths';
import { readWasmPod } from './records';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** True while `uid` has a pod directory under any runtime. */
async function holderAlive(home: string, uid: string): Promise<boolean> {
  return (await exists(new PodPaths(home, uid).dir)) || (await exists(new WasmPodPaths(home, uid).dir));
}

/** Claims the name for `uid`; returns the uid of a live holder instead when there is one. */
export async function claimPodName(home: string, namespace: string, name: string, uid: string): Promise<string | undefined> {
  const link = nameLink(home, namespace, name);
  await mkdir(dirname(link), { recursive: true, mode: 0o700 });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await symlink(uid, link);
      return undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = await readlink(link).catch(() => undefined);
    if (holder === undefined) continue;
    if (await holderAlive(home, holder)) return holder;
    // Left by a pod whose directory is gone (a crash mid-delete): take it over.
    await unlink(link).catch(() => undefined);
  }
  throw new Error(`cannot claim the pod name ${namespace}/${name}`);
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
