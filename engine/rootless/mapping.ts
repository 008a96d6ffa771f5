// The id mapping of a user's namespace, as rootless podman makes it: the user's own id becomes root (0), and
// the first subordinate range follows at 1, so images whose files belong to other users (1..count) work.
// Without a range (or without newuidmap/newgidmap, Debian's `uidmap`), the namespace holds one id only: root,
// which is the user. What that cannot run is said in `limits`.
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { findExecutable } from '../runtime/executables';
import { subordinateIds, type SubordinateRange } from './subids';

export const SUBUID_FILE = '/etc/subuid';
export const SUBGID_FILE = '/etc/subgid';

export type IdMapping =
  | { kind: 'range'; user: string; uid: number; gid: number; subuid: SubordinateRange; subgid: SubordinateRange; newuidmap: string; newgidmap: string }
  | { kind: 'single'; user: string; uid: number; gid: number; why: string };

/** What a single-id namespace cannot do, said wherever it is reported. */
export const SINGLE_ID_LIMITS =
  'only root (uid 0) exists in the pods\' user namespace: every image file belongs to root, and a container that runs as another user (the image\'s USER, runAsUser, runAsGroup, fsGroup, supplementalGroups) or a wasm pod cannot run';

export interface MappingInputs {
  user?: string;
  uid?: number;
  gid?: number;
  subuidFile?: string;
  subgidFile?: string;
  find?: (name: string) => string | undefined;
}

export function planMapping(i: MappingInputs = {}): IdMapping {
  const uid = i.uid ?? process.getuid?.() ?? 0;
  const user = i.user ?? (i.uid === undefined ? safeUserInfo()?.username : passwdName(uid)) ?? String(uid);
  const gid = i.gid ?? process.getgid?.() ?? 0;
  const ref = { name: user, uid };
  const subuid = subordinateIds(i.subuidFile ?? SUBUID_FILE, ref)[0];
  const subgid = subordinateIds(i.subgidFile ?? SUBGID_FILE, ref)[0];
  const single = (why: string): IdMapping => ({ kind: 'single', user, uid, gid, why });
  if (!subuid) return single(`${i.subuidFile ?? SUBUID_FILE} has no range for ${user}`);
  if (!subgid) return single(`${i.subgidFile ?? SUBGID_FILE} has no range for ${user}`);
  const find = i.find ?? ((n: string) => findExecutable(n));
  const newuidmap = find('newuidmap');
  const newgidmap = find('newgidmap');
  if (!newuidmap || !newgidmap) return single('newuidmap/newgidmap are not installed (apt-get install uidmap)');
  return { kind: 'range', user, uid, gid, subuid, subgid, newuidmap, newgidmap };
}

/** The login name of `uid` in /etc/passwd (a namespace's root cannot ask userInfo() about its host uid). */
function passwdName(uid: number): string | undefined {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f.length >= 3 && Number(f[2]) === uid) return f[0];
    }
  } catch {
    // no passwd file: the uid stands for itself
  }
  return undefined;
}

function safeUserInfo(): { username: string } | undefined {
  try {
    return userInfo();
  } catch {
    return undefined;
  }
}

/** How to fix a single-id mapping, for doctor and errors. */
export function rangeAdvice(user: string): string {
  return `give ${user} a subordinate range (as root: usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${user}) and install uidmap (apt-get install uidmap)`;
}

/** unshare(1) arguments that create the namespace with this mapping (util-linux 2.38: --map-users runs newuidmap). */
export function unshareMapArgs(m: IdMapping): string[] {
  const args = ['--map-root-user'];
  if (m.kind === 'range') args.push(`--map-users=${m.subuid.start},1,${m.subuid.count}`, `--map-groups=${m.subgid.start},1,${m.subgid.count}`);
  return args;
}

/** A short description: `0 -> 1001, 1..65536 -> 100000..165535`. */
export function describeMapping(m: IdMapping): string {
  if (m.kind === 'single') return `0 -> ${m.uid} only (${m.why})`;
  return `0 -> ${m.uid}, 1..${m.subuid.count} -> ${m.subuid.start}..${m.subuid.start + m.subuid.count - 1}`;
}
