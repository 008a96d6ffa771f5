// Which uid, gid and groups the process runs with, from the security contexts and the image's `User`
// (`uid`, `uid:gid`, `name`, `name:group`), with names looked up in the rootfs's /etc/passwd and /etc/group.
// Follows containerd's WithUser/WithAdditionalGIDs and the kubelet's runAsNonRoot check.

import { BundleError, type PodSecurityContext, type SecurityContext } from './types';

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

// uint32 minus the value the kernel reserves for "no id" ((uid_t)-1).
const MAX_ID = 0xffff_fffe;

function parseId(text: string): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n <= MAX_ID ? n : undefined;
}

/** Lines of /etc/passwd; comments and malformed lines are skipped as libc does. */
export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const f = line.split(':');
    if (f.length < 7 || f[0] === '') continue;
    const uid = parseId(f[2]);
    const gid = parseId(f[3]);
    if (uid === undefined || gid === undefined) continue;
    out.push({ name: f[0], uid, gid, home: f[5], shell: f[6] });
  }
  return out;
}

/** Lines of /etc/group. */
export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const f = line.split(':');
    if (f.length < 4 || f[0] === '') continue;
    const gid = parseId(f[2]);
    if (gid === undefined) continue;
    out.push({
      name: f[0],
      gid,
      members: f[3]
        .split(',')
        .map((m) => m.trim())
        .filter(Boolean),
    });
  }
  return out;
}

export interface UserInput {
  container: string;
  /** The image config's `User`. */
  imageUser?: string;
  securityContext?: SecurityContext;
  podSecurityContext?: PodSecurityContext;
  passwd?: string;
  group?: string;
}

export interface ResolvedUser {
  uid: number;
  gid: number;
  /** Primary gid first (containerd puts it there so dropping it from the supplementary list cannot gain access). */
  additionalGids: number[];
  /** The passwd name of the uid, when there is one. */
  username?: string;
}

/** Container values override the pod's, field by field (DetermineEffectiveSecurityContext). */
function effective<K extends 'runAsUser' | 'runAsGroup' | 'runAsNonRoot'>(
  input: UserInput,
  key: K,
): SecurityContext[K] | undefined {
  return input.securityContext?.[key] ?? input.podSecurityContext?.[key];
}

export function resolveUser(input: UserInput): ResolvedUser {
  const users = input.passwd !== undefined ? parsePasswd(input.passwd) : undefined;
  const groups = input.group !== undefined ? parseGroup(input.group) : undefined;
  const runAsUser = effective(input, 'runAsUser');
  const runAsGroup = effective(input, 'runAsGroup');
  const imageUser = (input.imageUser ?? '').trim();
  checkRunAsNonRoot(input, runAsUser, imageUser);

  let uid: number;
  let entry: PasswdEntry | undefined;
  let groupPart = '';
  if (runAsUser !== undefined) {
    // runAsUser replaces the image's User entirely, its group included.
    uid = checkId(runAsUser, input.container, 'runAsUser');
    entry = users?.find((u) => u.uid === uid);
  } else {
    const colon = imageUser.indexOf(':');
    const userPart = colon < 0 ? imageUser : imageUser.slice(0, colon);
    groupPart = colon < 0 ? '' : imageUser.slice(colon + 1);
    if (userPart === '') {
      uid = 0;
      entry = users?.find((u) => u.uid === 0);
    } else if (/^\d+$/.test(userPart)) {
      const id = parseId(userPart);
      if (id === undefined)
        throw new BundleError(`container "${input.container}": image user id ${userPart} is out of range`, 'BAD_USER');
      uid = id;
      entry = users?.find((u) => u.uid === uid);
    } else {
      entry = users?.find((u) => u.name === userPart);
      if (!entry)
        throw new BundleError(
          `container "${input.container}": image user "${userPart}" is not in the image's /etc/passwd` +
            (users ? '' : ' (the image has none)'),
          'USER_NOT_FOUND',
        );
      uid = entry.uid;
    }
  }

  let gid: number;
  if (runAsGroup !== undefined) gid = checkId(runAsGroup, input.container, 'runAsGroup');
  else if (groupPart === '') gid = entry?.gid ?? 0;
  else if (/^\d+$/.test(groupPart)) {
    const id = parseId(groupPart);
    if (id === undefined)
      throw new BundleError(`container "${input.container}": image group id ${groupPart} is out of range`, 'BAD_USER');
    gid = id;
  } else {
    const g = groups?.find((x) => x.name === groupPart);
    if (!g)
      throw new BundleError(
        `container "${input.container}": image group "${groupPart}" is not in the image's /etc/group${groups ? '' : ' (the image has none)'}`,
        'GROUP_NOT_FOUND',
      );
    gid = g.gid;
  }

  const extra: number[] = [gid];
  const pod = input.podSecurityContext;
  if (entry && groups && pod?.supplementalGroupsPolicy !== 'Strict') {
    // Groups naming the user as a member; a group named like the user is its primary group by convention.
    for (const g of groups) if (g.name !== entry.name && g.members.includes(entry.name)) extra.push(g.gid);
  }
  for (const g of pod?.supplementalGroups ?? []) extra.push(checkId(g, input.container, 'supplementalGroups'));
  // The kubelet adds fsGroup to the supplementary groups so the process can use the volumes it owns.
  if (pod?.fsGroup !== undefined) extra.push(checkId(pod.fsGroup, input.container, 'fsGroup'));

  return { uid, gid, additionalGids: [...new Set(extra)], username: entry?.name };
}

function checkId(value: number, container: string, field: string): number {
  if (!Number.isInteger(value) || value < 0 || value > MAX_ID)
    throw new BundleError(`container "${container}": ${field} ${value} is not a valid id`, 'BAD_USER');
  return value;
}

/**
 * The kubelet's verifyRunAsNonRoot: with runAsNonRoot, an explicit runAsUser must not be 0; otherwise the
 * image user must be numeric and non-zero. A user *name* is refused even when it maps to a non-root uid,
 * because the kubelet cannot see the image's /etc/passwd; doing the same keeps a pod that runs here from
 * failing on a cluster.
 */
function checkRunAsNonRoot(input: UserInput, runAsUser: number | undefined, imageUser: string): void {
  if (effective(input, 'runAsNonRoot') !== true) return;
  const who = `container "${input.container}"`;
  if (runAsUser !== undefined) {
    if (runAsUser === 0) throw new BundleError(`${who}: runAsUser 0 breaks the runAsNonRoot policy`, 'RUN_AS_ROOT');
    return;
  }
  const userPart = imageUser.split(':')[0];
  if (userPart === '' || (/^\d+$/.test(userPart) && Number(userPart) === 0))
    throw new BundleError(
      `${who}: runAsNonRoot is set and the image runs as root; set securityContext.runAsUser to a non-zero uid`,
      'RUN_AS_ROOT',
    );
  if (!/^\d+$/.test(userPart))
    throw new BundleError(
      `${who}: runAsNonRoot is set and the image has a non-numeric user ("${userPart}"), so it cannot be ` +
        'verified as non-root; set securityContext.runAsUser',
      'RUN_AS_ROOT',
    );
}
