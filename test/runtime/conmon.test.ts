// The runtime layer on its own: a pause container under conmon (exit file, hostname, namespaces), a create
// failure carrying runc's message over conmon's sync pipe, an OOM kill seen by conmon and the cgroup, and
// the parsers (mountinfo, /proc/PID/stat, runc's error lines).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBundleConfig, writeBundle } from '../../engine/image/bundle';
import {
  containerCgroupPath,
  createUnderConmon,
  ensurePauseRootfs,
  findConmon,
  findExecutable,
  isAlive,
  oomKillCount,
  pauseBundleInput,
  podCgroupPath,
  procStat,
  removeCgroupTree,
  RuntimeError,
  runtimeMessage,
  selectOciRuntime,
  waitForExitFile,
  waitGone,
  type OciRuntime,
} from '../../engine/runtime';
import { parseCgroupMounts } from '../../engine/runtime/cgroups';
import { parseProcStat } from '../../engine/runtime/processes';

const skip = process.getuid?.() !== 0 ? 'needs root' : ['runc', 'conmon', 'catatonit'].find((b) => !findExecutable(b, ['/usr/libexec/podman'])) ? 'runc, conmon and catatonit are needed' : undefined;

describe('conmon and the OCI runtime', { skip }, () => {
  let home: string;
  let runtime: OciRuntime;
  let rootfs: string;
  const uid = `rt-test-${process.pid}`;
  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'podsmith-conmon-'));
    runtime = await selectOciRuntime(home, 'runc');
    rootfs = await ensurePauseRootfs(home);
  });
  after(async () => {
    for (const s of await runtime.list()) await runtime.delete(s.id, true);
    await removeCgroupTree(podCgroupPath(uid));
    rmSync(home, { recursive: true, force: true });
  });

  async function create(id: string, extra: { command?: string[]; memory?: number; rootfs?: string } = {}) {
    const dir = join(home, id);
    mkdirSync(join(dir, 'p'), { recursive: true });
    mkdirSync(join(home, 'exits'), { recursive: true });
    const pod = { name: 'rt', namespace: 'default', uid };
    const input = pauseBundleInput({ pod, rootfs: extra.rootfs ?? rootfs, cgroupsPath: containerCgroupPath(uid, id), command: extra.command });
    const { config } = buildBundleConfig(input);
    if (extra.memory) config.linux!.resources = { ...config.linux!.resources, memory: { limit: extra.memory } };
    await writeBundle(dir, config);
    const created = await createUnderConmon({
      conmon: findConmon(),
      runtime,
      id,
      socketId: id,
      name: id,
      bundle: dir,
      exitDir: join(home, 'exits'),
      persistDir: join(dir, 'p'),
      socketDir: join(home, 's'),
      pidFile: join(dir, 'pid'),
      conmonPidFile: join(dir, 'conmon.pid'),
      logArgs: ['-l', `k8s-file:${join(dir, 'log')}`],
    });
    return { dir, ...created };
  }

  it('runs the pause container under conmon, which keeps its exit code', async () => {
    const c = await create('pause1');
    assert.ok(isAlive(c.conmonPid, c.conmonStartTime));
    assert.equal((await runtime.state('pause1'))?.status, 'created');
    await runtime.start('pause1');
    const state = await runtime.state('pause1');
    assert.equal(state?.status, 'running');
    assert.equal(state?.pid, c.pid);
    // `runc start` returns once it has released the container's init, which then execs catatonit. Another
    // process's exec sends no event here, so this polls its cmdline (bounded).
    const deadline = Date.now() + 5000;
    let cmdline = '';
    while ((cmdline = readFileSync(`/proc/${c.pid}/cmdline`, 'utf8')) !== '/catatonit\0-P\0' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    assert.equal(cmdline, '/catatonit\0-P\0');
    await runtime.kill('pause1', 'SIGTERM');
    const r = await waitForExitFile(join(home, 'exits'), 'pause1', { conmonPid: c.conmonPid, timeoutMs: 10_000 });
    assert.deepEqual(r, { kind: 'exited', exitCode: 0 });
    assert.ok(await waitGone(c.conmonPid, 5000, c.conmonStartTime), 'conmon leaves after its container');
    await runtime.delete('pause1');
    assert.equal(await runtime.state('pause1'), undefined);
  });

  it('reports a create failure with the runtime\'s own message', async () => {
    await assert.rejects(create('broken', { command: ['/no/such/binary'] }), (e: RuntimeError) => {
      assert.equal(e.code, 'FAILED');
      assert.match(e.message, /runc create failed for container broken: .*no such file or directory/);
      return true;
    });
  });

  it('sees an OOM kill: exit code 137, conmon\'s oom file and the cgroup counter', async () => {
    // A rootfs with the static busybox: dd with a 64 MiB buffer in a 16 MiB cgroup.
    const bb = join(home, 'bb-rootfs');
    mkdirSync(join(bb, 'bin'), { recursive: true });
    copyFileSync('/bin/busybox', join(bb, 'bin', 'busybox'));
    const c = await create('hog', { rootfs: bb, command: ['/bin/busybox', 'dd', 'if=/dev/zero', 'of=/dev/null', 'bs=64M', 'count=2'], memory: 16 * 1024 * 1024 });
    await runtime.start('hog');
    const r = await waitForExitFile(join(home, 'exits'), 'hog', { conmonPid: c.conmonPid, timeoutMs: 10_000 });
    assert.deepEqual(r, { kind: 'exited', exitCode: 137 });
    assert.ok(existsSync(join(c.dir, 'p', 'oom')), 'conmon recorded the OOM event');
    assert.ok(((await oomKillCount(containerCgroupPath(uid, 'hog'))) ?? 0) >= 1, 'the cgroup counted the kill');
    await runtime.delete('hog', true);
  });

  it('parses mountinfo cgroup lines, /proc stat and runtime error lines', () => {
    const mounts = parseCgroupMounts(
      [
        '30 25 0:26 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory',
        '31 25 0:27 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw',
        '32 25 0:28 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd',
        '33 25 0:29 / /tmp\\040dir rw - tmpfs tmpfs rw',
      ].join('\n'),
    );
    assert.deepEqual(mounts, [
      { path: '/sys/fs/cgroup/memory', root: '/', version: 1, controllers: ['memory'] },
      { path: '/sys/fs/cgroup/unified', root: '/', version: 2, controllers: [] },
      { path: '/sys/fs/cgroup/systemd', root: '/', version: 1, controllers: ['name=systemd'] },
    ]);
    const stat = parseProcStat('123 (a (weird) name) S 1 123 123 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 987654 0 0');
    assert.deepEqual(stat, { pid: 123, state: 'S', ppid: 1, startTime: '987654' });
    assert.equal(procStat(process.pid)?.pid, process.pid);
    assert.equal(
      runtimeMessage('time="2026-01-01T00:00:00Z" level=error msg="runc create failed: exec: \\"x\\": executable file not found in $PATH"\n'),
      'runc create failed: exec: "x": executable file not found in $PATH',
    );
    assert.equal(runtimeMessage('plain failure\n'), 'plain failure');
  });
});
