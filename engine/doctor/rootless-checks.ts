// Rootless readiness, for a user who is not root: the doctor runs inside the user's namespace (where pods
// run) and says what the namespace has and lacks. Each check says what goes missing without it and how to
// fix it. Only `user namespaces` is required: without it a user cannot run any pod.
import { accessSync, constants, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { overlaySupported } from '../image/unpack/overlay';
import { cgroupAccess } from '../rootless/cgroup-access';
import { identity } from '../rootless/identity';
import { describeMapping, planMapping, rangeAdvice, SINGLE_ID_LIMITS } from '../rootless/mapping';
import { PORT_START_SYSCTL, unprivilegedPortStart } from '../rootless/ports';
import { timed, type CheckResult } from './types';

/** What entering the namespace said when it failed (the doctor then runs outside it). */
export interface RootlessDoctorInput {
  enterError?: string;
}

export async function rootlessChecks(input: RootlessDoctorInput = {}): Promise<CheckResult[]> {
  if (identity().hostRoot) return [];
  return Promise.all([usernsCheck(input), subidsCheck(), uidmapCheck(), delegationCheck(), overlayCheck(), tunCheck(), portsCheck()]);
}

function usernsCheck(input: RootlessDoctorInput): Promise<CheckResult> {
  return timed('user namespaces', 'rootless', true, async () => {
    const id = identity();
    if (id.nsRoot) {
      const ids = id.uidMap.map((r) => (r.count === 1 ? `${r.inside} -> ${r.outside}` : `${r.inside}..${r.inside + r.count - 1} -> ${r.outside}..${r.outside + r.count - 1}`)).join(', ');
      return { ok: true, detail: `pods run in your user namespace as its root (${ids})`, facts: { uidMap: id.uidMap, gidMap: id.gidMap } };
    }
    return {
      ok: false,
      detail: `cannot make a user namespace as uid ${process.getuid?.()}${input.enterError ? `: ${input.enterError}` : ''}`,
      fix: 'allow unprivileged user namespaces (as root: sysctl -w user.max_user_namespaces=15000, and kernel.unprivileged_userns_clone=1 where that sysctl exists)',
    };
  });
}

function subidsCheck(): Promise<CheckResult> {
  return timed('subordinate ids', 'rootless', false, async () => {
    const m = planMapping(identity().nsRoot ? { uid: identity().hostUid, gid: identity().hostGid } : {});
    if (m.kind === 'range')
      return { ok: true, detail: `${m.user}: uids ${m.subuid.start}..${m.subuid.start + m.subuid.count - 1}, gids ${m.subgid.start}..${m.subgid.start + m.subgid.count - 1} (${describeMapping(m)})`, facts: { subuid: m.subuid, subgid: m.subgid } };
    return { ok: false, detail: `${m.why}: ${SINGLE_ID_LIMITS}`, fix: rangeAdvice(m.user) };
  });
}

function uidmapCheck(): Promise<CheckResult> {
  return timed('uidmap', 'rootless', false, async () => {
    const missing: string[] = [];
    for (const tool of ['newuidmap', 'newgidmap']) {
      const path = ['/usr/bin', '/bin', '/usr/sbin'].map((d) => join(d, tool)).find((p) => {
        try {
          statSync(p);
          return true;
        } catch {
          return false;
        }
      });
      // setuid root (Debian) or file capabilities: either lets it write another process's id map.
      if (!path) missing.push(tool);
      else if ((statSync(path).mode & 0o4000) === 0) missing.push(`${tool} (not setuid: ${path})`);
    }
    if (missing.length) return { ok: false, detail: `${missing.join(', ')}: without them the namespace holds one id only`, fix: 'apt-get install -y uidmap' };
    return { ok: true, detail: 'newuidmap and newgidmap (setuid) map your subordinate ids' };
  });
}

function delegationCheck(): Promise<CheckResult> {
  return timed('cgroup delegation', 'rootless', false, async () => {
    const a = cgroupAccess();
    if (a.mode === 'delegated') return { ok: true, detail: `pods go under ${a.base} (delegated: ${a.delegated}, controllers ${a.controllers.join(' ')}): limits are enforced`, facts: { base: a.base } };
    if (a.mode === 'root') return { ok: true, detail: 'root: every cgroup is writable' };
    return {
      ok: false,
      detail: `pods run without resource limits (${a.why}); each pod's status says which of its limits are not enforced`,
      fix: 'boot with cgroup v2 only (systemd.unified_cgroup_hierarchy=1) and delegate a subtree to the user (systemd does for user@UID.service: Delegate=yes)',
    };
  });
}

function overlayCheck(): Promise<CheckResult> {
  return timed('overlay in a user namespace', 'rootless', false, async () => {
    if (!identity().nsRoot) return { ok: false, detail: 'not checked: the doctor is not inside your user namespace' };
    const scratch = mkdtempSync(join(tmpdir(), 'podsmith-doctor-overlay-'));
    try {
      if (await overlaySupported(scratch, {})) return { ok: true, detail: 'overlay mounts work in your user namespace: containers share the unpacked layers' };
      return { ok: false, detail: 'overlay cannot be mounted in your user namespace: each container gets a copy of its image (slower start, more disk)', fix: 'use Linux 5.11 or later (unprivileged overlay mounts)' };
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
}

function tunCheck(): Promise<CheckResult> {
  return timed('/dev/net/tun', 'rootless', false, async () => {
    try {
      accessSync('/dev/net/tun', constants.R_OK | constants.W_OK);
      return { ok: true, detail: 'pasta can give rootless pods an interface (outbound traffic)' };
    } catch (e) {
      return {
        ok: false,
        detail: `pasta cannot open /dev/net/tun (${(e as NodeJS.ErrnoException).code}): rootless pods get no outbound network (hostPorts are forwarded by the daemon)`,
        fix: 'as root: chmod 0666 /dev/net/tun (what udev does on a standard Debian system: 50-udev-default.rules)',
      };
    }
  });
}

function portsCheck(): Promise<CheckResult> {
  return timed('unprivileged ports', 'rootless', false, async () => {
    const start = unprivilegedPortStart();
    return {
      ok: true,
      detail: `hostPorts and port-forward local ports from ${start} up (${PORT_START_SYSCTL}); lower ones are refused`,
      facts: { start },
    };
  });
}
