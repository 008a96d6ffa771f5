// The direct pause (engine/runtime/pause-direct.ts): catatonit launched straight into the pod's namespaces
// keeps what the pause container had: uid 65535, no capability in any set, no_new_privs, the default seccomp
// profile, its own cgroup below the pod's, its own mount and pid namespaces with only the pause rootfs
// (nothing above it reachable through /proc/<pid>/root), the pod's hostname. A restarted engine finds it by pid
// and start time; a pause that dies fails the pod (SandboxDied); delete leaves nothing.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { buildBundleConfig } from '../../engine/image/bundle';
import { pauseId } from '../../engine/pods/native';
import { isDirectPause, readPod, type DirectPauseRecord } from '../../engine/pods/native/state';
import { directPauseUnavailable, ensurePauseRootfs, isAlive, pauseBundleInput } from '../../engine/runtime';
import { compileSeccomp, type OciSeccomp } from '../../native/seccomp-bpf';
import { IMAGE, nextEvent, podManifest, podTestEnv, text, whyNoNativePods, type PodTestEnv } from './fixtures';

const skip = whyNoNativePods() ?? directPauseUnavailable();
const ns = (pid: number, type: string) => readlinkSync(`/proc/${pid}/ns/${type}`);
const status = (pid: number) => Object.fromEntries(readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').map((l) => l.split(/:\s*/, 2) as [string, string]));

async function execOut(env: PodTestEnv, pod: string, command: string[]): Promise<string> {
  const ex = await env.runtime.exec({ pod, container: 'app', command, tty: false, stdin: false });
  const [out, code] = await Promise.all([text(ex.stdout), ex.exit]);
  assert.equal(code, 0, `${command.join(' ')} exits 0`);
  return out;
}

describe('the direct pause', { skip }, () => {
  let env: PodTestEnv;
  before(async () => {
    env = await podTestEnv({ pause: 'direct' });
  });
  afterEach(async () => {
    assert.deepEqual(await env.cleanup(), []);
  });
  after(async () => {
    await env?.dispose();
  });

  it('runs catatonit as 65535 without capabilities, with no_new_privs and seccomp, in its cgroup, namespaces and rootfs', async () => {
    const manifest = podManifest('direct', {
      terminationGracePeriodSeconds: 1,
      shareProcessNamespace: true,
      containers: [{ name: 'app', image: IMAGE, command: ['sleep', '1000'] }],
    });
    const s = await env.runtime.runPod({ manifest });
    const record = (await readPod(env.home, s.uid))!;
    assert.ok(isDirectPause(record.pause), 'recorded as a direct pause');
    const pause = record.pause as DirectPauseRecord;
    assert.ok(isAlive(pause.pid, pause.startTime));
    assert.equal(readFileSync(`/proc/${pause.pid}/cmdline`, 'utf8'), '/catatonit\0-P\0');

    const st = status(pause.pid);
    assert.match(st.Uid, /^65535\s+65535\s+65535\s+65535$/);
    assert.match(st.Gid, /^65535\s+65535\s+65535\s+65535$/);
    assert.equal(st.Groups.trim(), '65535');
    for (const set of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb']) assert.equal(st[set], '0000000000000000', `${set} is empty`);
    assert.equal(st.NoNewPrivs, '1');
    assert.equal(st.Seccomp, '2', 'a seccomp filter is loaded');

    // Its own cgroup below the pod's, in every hierarchy.
    const lines = readFileSync(`/proc/${pause.pid}/cgroup`, 'utf8').trim().split('\n');
    assert.ok(lines.length > 0);
    for (const l of lines) assert.ok(l.endsWith(`:/podsmith/${s.uid}/${pauseId(s.uid)}`), l);

    // New namespaces, shared with the app container (pid too: shareProcessNamespace), a mount namespace of its own.
    const app = record.containers[0].process!.pid;
    for (const type of ['net', 'ipc', 'uts', 'pid', 'mnt']) assert.notEqual(ns(pause.pid, type), ns(process.pid, type), `a ${type} namespace of its own`);
    for (const type of ['net', 'ipc', 'uts', 'pid']) assert.equal(ns(app, type), ns(pause.pid, type), `the app shares its ${type} namespace`);
    assert.notEqual(ns(app, 'mnt'), ns(pause.pid, 'mnt'));
    assert.equal((await execOut(env, 'direct', ['hostname'])).trim(), 'direct');
    assert.equal((await execOut(env, 'direct', ['cat', '/proc/1/cmdline'])).replace(/\0/g, ' ').trim(), '/catatonit -P', 'the pause is pid 1 of the pod');

    // Only the read-only pause rootfs: `..` from its root stays there.
    const rootfs = await ensurePauseRootfs(env.home);
    assert.deepEqual(readdirSync(`/proc/${pause.pid}/root`).sort(), readdirSync(rootfs).sort());
    assert.deepEqual(readdirSync(`/proc/${pause.pid}/root/..`).sort(), readdirSync(rootfs).sort());
    const mounts = readFileSync(`/proc/${pause.pid}/mountinfo`, 'utf8').trim().split('\n');
    assert.equal(mounts.length, 1, mounts.join('\n'));
    assert.match(mounts[0].split(' ')[5], /(^|,)ro(,|$)/, 'mounted read-only');

    await env.runtime.deletePod({ pod: 'direct', force: true });
    assert.equal(isAlive(pause.pid, pause.startTime), false, 'delete killed the pause');
  });

  it('a restarted engine finds the pause by pid and start time; a pause that dies fails the pod as SandboxDied', async () => {
    const manifest = podManifest('sandbox', { terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image: IMAGE, command: ['sleep', '1000'] }] });
    const s = await env.runtime.runPod({ manifest });
    const pause = (await readPod(env.home, s.uid))!.pause as DirectPauseRecord;
    await env.runtime.close();
    const again = env.newRuntime({ pause: 'direct' });
    await again.reconcile();
    assert.equal((await again.podStatus('sandbox')).phase, 'Running');
    const failed = nextEvent(again, (e) => e.type === 'pod' && e.uid === s.uid && e.phase === 'Failed');
    process.kill(pause.pid, 'SIGKILL');
    await failed;
    const final = await again.podStatus('sandbox');
    assert.equal(final.reason, 'SandboxDied');
    assert.ok(final.containerStatuses.every((c) => !c.state.running), 'its containers were stopped');
    await again.deletePod({ pod: 'sandbox', force: true });
  });
});

// The filter the launcher loads: libseccomp's compilation of the pause's profile refuses what runc's does.
describe("the direct pause's seccomp program", { skip: directPauseUnavailable() }, () => {
  it('refuses a user namespace, the keyring and clone3 as the default profile says, and allows the rest', async () => {
    const home = join('/tmp', `podsmith-seccomp-${process.pid}`);
    const { config } = buildBundleConfig(pauseBundleInput({ pod: { name: 'p', namespace: 'default', uid: 'u' }, rootfs: home, cgroupsPath: '/podsmith/u/p' }));
    const bpf = compileSeccomp(config.linux!.seccomp as OciSeccomp);
    assert.equal(bpf.length % 8, 0);
    // A process loads the program and tries the calls (x86-64 and arm64 numbers), printing each errno.
    const nr = process.arch === 'arm64' ? { prctl: 167, seccomp: 277, unshare: 97, keyctl: 219, clone3: 435, getpid: 172 } : { prctl: 157, seccomp: 317, unshare: 272, keyctl: 250, clone3: 435, getpid: 39 };
    const script = `
      binmode STDIN; my $bpf = do { local $/; <STDIN> };
      syscall(${nr.prctl}, 38, 1, 0, 0, 0) == 0 or die "nnp: $!";
      syscall(${nr.seccomp}, 1, 0, pack('S x6 P', length($bpf) / 8, $bpf)) == 0 or die "seccomp: $!";
      my @out;
      for my $call ([${nr.unshare}, 0x10000000], [${nr.keyctl}, 0, 0, 0, 0, 0], [${nr.clone3}, 0, 0]) { my ($n, @a) = @$call; my $r = syscall($n, @a); push @out, $r < 0 ? $! + 0 : 0; }
      push @out, syscall(${nr.getpid}) > 0 ? 'ok' : 'no';
      print join(' ', @out);`;
    const r = spawnSync('perl', ['-e', script], { input: bpf, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    // EPERM for unshare(CLONE_NEWUSER) and keyctl, ENOSYS for clone3 (libc falls back to clone), getpid works.
    assert.equal(r.stdout, '1 1 38 ok');
  });
});

// Where the launcher cannot run (or PODSMITH_PAUSE=runtime) the pause is a container under conmon, as before.
describe('the runtime pause (fallback)', { skip: whyNoNativePods() }, () => {
  let env: PodTestEnv;
  before(async () => {
    env = await podTestEnv({ pause: 'runtime' });
  });
  after(async () => {
    await env?.dispose();
  });

  it('runs the pause as a container, stops it with the pod and leaves nothing on delete', async () => {
    const manifest = podManifest('fallback', { terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image: IMAGE, command: ['sleep', '1000'] }] });
    const s = await env.runtime.runPod({ manifest });
    const pause = (await readPod(env.home, s.uid))!.pause!;
    assert.equal(isDirectPause(pause), false);
    if (isDirectPause(pause)) return;
    assert.ok(isAlive(pause.conmonPid, pause.conmonStartTime), 'the pause container has its conmon');
    assert.equal((await execOut(env, 'fallback', ['hostname'])).trim(), 'fallback');
    await env.runtime.stopPod({ pod: 'fallback' });
    assert.equal(isAlive(pause.pid, pause.startTime), false, 'stop ended the pause');
    assert.equal(isAlive(pause.conmonPid, pause.conmonStartTime), false, 'and its conmon');
    await env.runtime.deletePod({ pod: 'fallback' });
    assert.deepEqual(await env.cleanup(), []);
  });
});
