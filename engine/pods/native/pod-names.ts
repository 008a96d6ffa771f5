// The pod name index, shared by every runtime (names are unique across runtime classes):
// `$PODSMITH_HOME/pod-names/<namespace>/<name>`, a symlink to the pod's uid. symlink(2) either creates the link or
// fails with EEXIST, so a name is claimed atomically and a crash leaves a whole link or none.
//
// One folder per namespace keeps every valid name within NAME_MAX (255 bytes): the name is at most 253
// bytes, the namespace 63. Earlier versions kept `pod-names/<namespace>_<name>` (which fails with
// ENAMETOOLONG for long names); such links are still read, honoured and released, and claims replace dead ones.
// Neither a namespace nor a name can contain `_`, so the two layouts never collide.
//
// Claims and releases of one name are serialized inside this process: taking over a dead link is a
// read-then-unlink that two claimers must not interleave. One daemon per home is the only writer.
import { mkdir, readdir, readlink, stat, symlink, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { KeyedMutex } from './keyed-mutex';
import { POD_ROOT_DIRS } from './paths';

export const NAMES_DIR = 'pod-names';

const names = new KeyedMutex();

export function nameLink(home: string, namespace: string, name: string): string {
  return join(home, NAMES_DIR, namespace, name);
}

function legacyLink(home: string, namespace: string, name: string): string {
  return join(home, NAMES_DIR, `${namespace}_${name}`);
}

function serialized<T>(home: string, namespace: string, name: string, fn: () => Promise<T>): Promise<T> {
  return names.run(`${home}\0${namespace}\0${name}`, fn);
}

const link = (path: string): Promise<string | undefined> => readlink(path).catch(() => undefined);

/** A uid is alive while its pod directory exists in any runtime's folder (a pod being created has no record yet). */
async function holderAlive(home: string, uid: string): Promise<boolean> {
  for (const root of POD_ROOT_DIRS) if (await stat(join(home, root, uid)).then((s) => s.isDirectory(), () => false)) return true;
  return false;
}

/** The uid holding `namespace/name`, if any link names one (alive or not). */
export async function lookupName(home: string, namespace: string, name: string): Promise<string | undefined> {
  return (await link(nameLink(home, namespace, name))) ?? (await link(legacyLink(home, namespace, name)));
}

/**
 * Claims `namespace/name` for `uid`; returns the uid of a live holder instead. A link left by a pod whose
 * directory is gone (a crash mid-delete) is taken over.
 */
export function claimName(home: string, namespace: string, name: string, uid: string): Promise<string | undefined> {
  return serialized(home, namespace, name, async () => {
    const legacy = legacyLink(home, namespace, name);
    const old = await link(legacy);
    if (old !== undefined) {
      if (await holderAlive(home, old)) return old;
      await unlink(legacy).catch(() => undefined);
    }
    const path = nameLink(home, namespace, name);
    await mkdir(join(home, NAMES_DIR, namespace), { recursive: true, mode: 0o700 });
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await symlink(uid, path);
        return undefined;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = await link(path);
      if (holder !== undefined && (await holderAlive(home, holder))) return holder;
      await unlink(path).catch(() => undefined);
    }
    throw new Error(`cannot claim the pod name ${namespace}/${name}: ${path} keeps reappearing`);
  });
}

/** Releases the name if `uid` still holds it (in either layout). */
export function releaseName(home: string, namespace: string, name: string, uid: string): Promise<void> {
  return serialized(home, namespace, name, async () => {
    for (const path of [nameLink(home, namespace, name), legacyLink(home, namespace, name)]) if ((await link(path)) === uid) await unlink(path).catch(() => undefined);
  });
}

/** Every `[namespace, name]` in the index whose link points at `uid` (a pod without a readable record). */
async function namesOf(home: string, uid: string): Promise<[string, string][]> {
  const root = join(home, NAMES_DIR);
  const out: [string, string][] = [];
  for (const entry of await readdir(root, { withFileTypes: true }).catch(() => [])) {
    if (entry.isDirectory()) {
      for (const name of await readdir(join(root, entry.name)).catch(() => [] as string[])) if ((await link(join(root, entry.name, name))) === uid) out.push([entry.name, name]);
    } else if ((await link(join(root, entry.name))) === uid) {
      const cut = entry.name.indexOf('_');
      if (cut > 0) out.push([entry.name.slice(0, cut), entry.name.slice(cut + 1)]);
    }
  }
  return out;
}

/** Releases every name held by `uid`; with a record, just its own. */
export async function releaseNamesOf(home: string, uid: string, pod?: { namespace: string; name: string }): Promise<void> {
  const held = pod ? [[pod.namespace, pod.name] as [string, string]] : await namesOf(home, uid);
  for (const [namespace, name] of held) await releaseName(home, namespace, name, uid);
}

/** Splits a pod reference: `name` (namespace default) or `namespace/name`. */
export function splitPodRef(ref: string): { namespace: string; name: string } {
  const slash = ref.indexOf('/');
  return slash < 0 ? { namespace: 'default', name: ref } : { namespace: ref.slice(0, slash), name: ref.slice(slash + 1) };
}
