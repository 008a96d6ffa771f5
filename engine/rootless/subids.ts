// Subordinate id ranges (/etc/subuid, /etc/subgid: `name-or-uid:start:count` per line), which newuidmap and
// newgidmap let a user map into a user namespace besides their own id.
import { readFileSync } from 'node:fs';

export interface SubordinateRange {
  start: number;
  count: number;
}

export interface UserRef {
  name: string;
  uid: number;
}

/** The ranges of `user` in the text of /etc/subuid or /etc/subgid, in file order. */
export function parseSubordinateIds(text: string, user: UserRef): SubordinateRange[] {
  const out: SubordinateRange[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [owner, start, count] = line.split(':');
    if (owner !== user.name && owner !== String(user.uid)) continue;
    const s = Number(start);
    const c = Number(count);
    if (Number.isSafeInteger(s) && Number.isSafeInteger(c) && s > 0 && c > 0) out.push({ start: s, count: c });
  }
  return out;
}

export function subordinateIds(file: string, user: UserRef): SubordinateRange[] {
  try {
    return parseSubordinateIds(readFileSync(file, 'utf8'), user);
  } catch {
    return [];
  }
}
