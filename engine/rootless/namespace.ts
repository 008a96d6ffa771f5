// The user namespace a rootless engine runs in, one per PODSMITH_HOME, the way rootless podman keeps one per
// user: the user's own id is root there (mapping.ts), and the daemon, conmon, runc, pasta and the image
// unpacker all run inside it, with a mount namespace of their own for the pods' overlays, tmpfs volumes and
// binds. Nothing holds it open but the processes in it: the daemon and every pod's conmon and pasta. So a
// daemon that stopped while pods run leaves a namespace that the next one joins (through a live process of
// it, found by the namespace identities the first daemon recorded), and one with no pods left simply ends,
// taking its mounts with it.
//
// Joining goes through descriptors opened here, checked against the record, then handed to nsenter, so a pid
// reused in between cannot lead into some other namespace.
import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findExecutable } from '../runtime/executables';
import { identity } from './identity';
import { describeMapping, planMapping, unshareMapArgs, type IdMapping } from './mapping';

export interface NamespaceRecord {
  version: 1;
  /** Inode numbers of the user and mount namespaces (nsfs). */
  user: number;
  mnt: number;
  /** The host uid whose namespace it is. */
  hostUid: number;
  mapping: string;
  createdAt: string;
}

export function namespaceRecordPath(home: string): string {
  return join(home, 'run', 'userns.json');
}

function nsInode(link: string): number | undefined {
  const m = /^\w+:\[(\d+)\]$/.exec(link);
  return m ? Number(m[1]) : undefined;
}

export function readNamespaceRecord(home: string): NamespaceRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(namespaceRecordPath(home), 'utf8')) as NamespaceRecord;
    return r && r.version === 1 && Number.isSafeInteger(r.user) && Number.isSafeInteger(r.mnt) ? r : undefined;
  } catch {
    return undefined;
  }
}

/** Called by a daemon inside its namespace: remembers which namespace the home's pods live in. */
export function recordOwnNamespace(home: string): NamespaceRecord | undefined {
  const id = identity();
  if (!id.nsRoot) return undefined;
  const user = nsInode(readlinkSync('/proc/self/ns/user'));
  const mnt = nsInode(readlinkSync('/proc/self/ns/mnt'));
  if (user === undefined || mnt === undefined) return undefined;
  const before = readNamespaceRecord(home);
  if (before && before.user === user && before.mnt === mnt) return before;
  const uidLines = id.uidMap.map((r) => `${r.inside}:${r.outside}:${r.count}`).join(',');
  const record: NamespaceRecord = { version: 1, user, mnt, hostUid: id.hostUid, mapping: uidLines, createdAt: new Date().toISOString() };
  const file = namespaceRecordPath(home);
  mkdirSync(join(home, 'run'), { recursive: true, mode: 0o700 });
  writeFileSync(`${file}.${process.pid}.tmp`, JSON.stringify(record) + '\n', { mode: 0o600 });
  renameSync(`${file}.${process.pid}.tmp`, file);
  return record;
}

export interface LiveNamespace {
  pid: number;
  /** Open descriptors of its user and mount namespaces (the caller closes them). */
  userFd: number;
  mntFd: number;
}

/** A live process of this home's recorded namespace, with its namespaces opened; undefined when none is left. */
export function findLiveNamespace(home: string, hostUid = identity().hostUid): LiveNamespace | undefined {
  const record = readNamespaceRecord(home);
  if (!record || record.hostUid !== hostUid) return undefined;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    try {
      // The namespace's root is the user: its daemon, conmon and pasta processes run as the user's host uid.
      if (statSync(`/proc/${pid}`).uid !== hostUid) continue;
      if (nsInode(readlinkSync(`/proc/${pid}/ns/user`)) !== record.user) continue;
      if (nsInode(readlinkSync(`/proc/${pid}/ns/mnt`)) !== record.mnt) continue;
    } catch {
      continue; // gone meanwhile, or not ours to look at
    }
    let userFd: number | undefined;
    let mntFd: number | undefined;
    try {
      userFd = openSync(`/proc/${pid}/ns/user`, 'r');
      mntFd = openSync(`/proc/${pid}/ns/mnt`, 'r');
      // What was opened is the recorded namespace, whatever happened to the pid since the check.
      if (fstatSync(userFd).ino === record.user && fstatSync(mntFd).ino === record.mnt) return { pid, userFd, mntFd };
    } catch {
      // gone meanwhile
    }
    if (userFd !== undefined) closeSync(userFd);
    if (mntFd !== undefined) closeSync(mntFd);
  }
  return undefined;
}

export class NamespaceError extends Error {}

/** How to run a program inside the home's namespace (joining the live one, or making a new one). */
export interface InsideLaunch {
  file: string;
  args: string[];
  /** Descriptors the child must get as fds 3 and 4 (joining), in order; close them once spawned. */
  fds: number[];
  /** Whether an existing namespace is joined (false: a new one is made). */
  joined: boolean;
  mapping: IdMapping;
  close(): void;
}

// nsenter opens the namespaces by these paths (its fds 3 and 4); the shell closes them before the program
// starts, so no descriptor of the namespaces leaks into the daemon and what it spawns.
const CLOSE_AND_EXEC = 'exec 3<&- 4<&-; exec "$@"';

/**
 * `argv` run inside this home's user namespace. Only for a plain user outside any user namespace: root, and
 * a process already inside, run pods as they are.
 */
export function launchInside(home: string, argv: readonly string[], cwd = process.cwd(), mapping: IdMapping = planMapping()): InsideLaunch {
  const live = findLiveNamespace(home);
  if (live) {
    const nsenter = tool('nsenter');
    return {
      file: nsenter,
      // The caller's uid already is root in there: nsenter keeps it (its own setgroups would fail where a
      // single-id namespace denies setgroups).
      // nsenter moves to / when it enters a mount namespace: --wd keeps the caller's directory.
      args: ['--preserve-credentials', '--user=/proc/self/fd/3', '--mount=/proc/self/fd/4', `--wd=${cwd}`, '--', '/bin/sh', '-c', CLOSE_AND_EXEC, 'podsmith-userns', ...argv],
      fds: [live.userFd, live.mntFd],
      joined: true,
      mapping,
      close() {
        closeSync(live.userFd);
        closeSync(live.mntFd);
      },
    };
  }
  return {
    file: tool('unshare'),
    // A private mount namespace: the pods' mounts stay inside it, and the host's later mounts do not matter.
    args: ['--user', '--mount', '--propagation', 'private', ...unshareMapArgs(mapping), '--', ...argv],
    fds: [],
    joined: false,
    mapping,
    close() {},
  };
}

function tool(name: string): string {
  const path = findExecutable(name);
  if (!path) throw new NamespaceError(`${name} is not installed (apt-get install util-linux): rootless pods run in a user namespace made with it`);
  return path;
}

/** Whether this process must enter the home's namespace before it runs pods (a plain user outside one). */
export function needsNamespace(): boolean {
  const id = identity();
  return !id.hostRoot && !id.inUserNamespace;
}

export { describeMapping };
