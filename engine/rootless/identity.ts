// Who this process is, as far as rootless pods care. A plain user (uid != 0 in the initial user namespace)
// must enter its user namespace before it can run pods; a process inside one (uid 0 there, mapped to that
// user outside) runs the engine as if it were root, within what the namespace allows. Read from
// /proc/self/uid_map: the initial namespace maps all 2^32 ids to themselves.
import { readFileSync } from 'node:fs';

export interface IdRange {
  /** First id inside the namespace. */
  inside: number;
  /** First id outside (in the parent namespace). */
  outside: number;
  count: number;
}

export interface Identity {
  /** Real root in the initial user namespace: nothing about rootless applies. */
  hostRoot: boolean;
  /** Inside a user namespace that is not the initial one. */
  inUserNamespace: boolean;
  /** uid 0 inside a user namespace: the engine may act as root there. */
  nsRoot: boolean;
  /** The host uid this process stands for: its own uid outside, the uid that 0 maps to inside. */
  hostUid: number;
  hostGid: number;
  uidMap: IdRange[];
  gidMap: IdRange[];
  /** How many uids exist in the namespace (1: only root, a single-id mapping). */
  uidCount: number;
  gidCount: number;
}

export function parseIdMap(text: string): IdRange[] {
  const out: IdRange[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/).map(Number);
    if (f.length === 3 && f.every((n) => Number.isSafeInteger(n) && n >= 0)) out.push({ inside: f[0], outside: f[1], count: f[2] });
  }
  return out;
}

/** The initial user namespace maps every id to itself. */
export function isInitialMap(map: IdRange[]): boolean {
  return map.length === 1 && map[0].inside === 0 && map[0].outside === 0 && map[0].count === 4294967295;
}

/** The outside id of inside id `id`, or undefined when it is not mapped. */
export function outsideId(map: IdRange[], id: number): number | undefined {
  const r = map.find((m) => id >= m.inside && id < m.inside + m.count);
  return r ? r.outside + (id - r.inside) : undefined;
}

let cached: Identity | undefined;

export function identityOf(uidMapText: string, gidMapText: string, uid: number, gid: number): Identity {
  const uidMap = parseIdMap(uidMapText);
  const gidMap = parseIdMap(gidMapText);
  const inUserNamespace = !isInitialMap(uidMap);
  return {
    hostRoot: !inUserNamespace && uid === 0,
    inUserNamespace,
    nsRoot: inUserNamespace && uid === 0,
    hostUid: inUserNamespace ? (outsideId(uidMap, uid) ?? uid) : uid,
    hostGid: inUserNamespace ? (outsideId(gidMap, gid) ?? gid) : gid,
    uidMap,
    gidMap,
    uidCount: uidMap.reduce((n, r) => n + r.count, 0),
    gidCount: gidMap.reduce((n, r) => n + r.count, 0),
  };
}

/** This process's identity (read once: a process does not change user namespace under Node). */
export function identity(): Identity {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  // Without /proc (not Linux: the editor's client elsewhere) there are no user namespaces to be in.
  const read = (f: string) => {
    try {
      return readFileSync(f, 'utf8');
    } catch {
      return '0 0 4294967295';
    }
  };
  cached ??= identityOf(read('/proc/self/uid_map'), read('/proc/self/gid_map'), uid, gid);
  return cached;
}

/** Pods run rootless: this process is either a plain user or root inside a user namespace. */
export function isRootless(): boolean {
  return !identity().hostRoot;
}
